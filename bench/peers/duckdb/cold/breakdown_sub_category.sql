-- Cold GetBreakdown by sub-category: one region, a 90-day range; the groups and the total.
WITH f AS (SELECT * FROM lines
           WHERE order_date BETWEEN '{{START}}' AND '{{END}}' AND region = '{{REGION}}')
SELECT subcategory, SUM(sales), SUM(profit), COUNT(DISTINCT order_id), COUNT(DISTINCT customer_id),
       SUM(quantity)
FROM f GROUP BY subcategory
UNION ALL
SELECT NULL, SUM(sales), SUM(profit), COUNT(DISTINCT order_id), COUNT(DISTINCT customer_id),
       SUM(quantity)
FROM f;
