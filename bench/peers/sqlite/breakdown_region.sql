-- GetBreakdown by region: the groups and the total.
SELECT region, SUM(sales), SUM(profit), COUNT(DISTINCT order_id), COUNT(DISTINCT customer_id),
       SUM(quantity)
FROM lines GROUP BY region
UNION ALL
SELECT NULL, SUM(sales), SUM(profit), COUNT(DISTINCT order_id), COUNT(DISTINCT customer_id),
       SUM(quantity)
FROM lines;
