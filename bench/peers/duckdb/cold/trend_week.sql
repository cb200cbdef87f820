-- Cold GetSalesTrend by week: one region, a 180-day range.
SELECT date_trunc('week', order_date) AS week, SUM(sales), SUM(profit), COUNT(DISTINCT order_id)
FROM lines
WHERE order_date BETWEEN '{{START}}' AND '{{END}}' AND region = '{{REGION}}'
GROUP BY week ORDER BY week;
