-- GetSalesTrend by month.
SELECT substr(order_date, 1, 7) AS month, SUM(sales), SUM(profit), COUNT(DISTINCT order_id)
FROM lines GROUP BY month ORDER BY month;
