-- GetSalesTrend by month.
SELECT strftime(order_date, '%Y-%m') AS month, SUM(sales), SUM(profit), COUNT(DISTINCT order_id)
FROM lines GROUP BY month ORDER BY month;
