-- GetBreakdown by category: the groups and the total.
SELECT category, SUM(sales), SUM(profit), COUNT(DISTINCT order_id), COUNT(DISTINCT customer_id),
       SUM(quantity)
FROM lines GROUP BY category
UNION ALL
SELECT NULL, SUM(sales), SUM(profit), COUNT(DISTINCT order_id), COUNT(DISTINCT customer_id),
       SUM(quantity)
FROM lines;
