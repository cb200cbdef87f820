-- ListCustomers, tier Gold, first page of 50 by monetary: scores, segment, the latest
-- line's name, segment and region, lifetime figures.
WITH as_of AS (SELECT MAX(order_date) AS d FROM lines),
rfm AS (
  SELECT customer_id, CAST(julianday((SELECT d FROM as_of)) - julianday(MAX(order_date)) AS INTEGER)
           AS recency,
         COUNT(DISTINCT order_id) AS frequency, SUM(sales) AS monetary, SUM(profit) AS profit,
         MIN(order_date) AS first_order, MAX(order_date) AS last_order
  FROM lines GROUP BY customer_id),
ranked AS (
  SELECT *, COUNT(*) OVER () AS n, RANK() OVER (ORDER BY recency DESC) - 1 AS wr,
         RANK() OVER (ORDER BY frequency) - 1 AS wf, RANK() OVER (ORDER BY monetary) - 1 AS wm
  FROM rfm),
scored AS (
  SELECT *, 1 + 5 * wr / n AS r, 1 + 5 * wf / n AS f, 1 + 5 * wm / n AS m FROM ranked),
classified AS (
  SELECT *,
    CASE WHEN frequency >= 5 AND monetary > 2000 THEN 'Gold'
         WHEN frequency >= 2 THEN 'Silver' ELSE 'Bronze' END AS tier,
    CASE WHEN r BETWEEN 4 AND 5 AND f BETWEEN 4 AND 5 AND m BETWEEN 4 AND 5 THEN 'Champions'
         WHEN r BETWEEN 2 AND 5 AND f BETWEEN 3 AND 5 AND m BETWEEN 3 AND 5 THEN 'Loyal Customers'
         WHEN r BETWEEN 3 AND 5 AND f BETWEEN 1 AND 3 AND m BETWEEN 1 AND 3 THEN 'Potential Loyalist'
         WHEN r BETWEEN 4 AND 5 AND f = 1 AND m = 1 THEN 'New Customers'
         WHEN r BETWEEN 3 AND 4 AND f = 1 AND m = 1 THEN 'Promising'
         WHEN r BETWEEN 2 AND 3 AND f BETWEEN 2 AND 3 AND m BETWEEN 2 AND 3 THEN 'Need Attention'
         WHEN r BETWEEN 2 AND 3 AND f BETWEEN 1 AND 2 AND m BETWEEN 1 AND 2 THEN 'About To Sleep'
         WHEN r BETWEEN 1 AND 2 AND f BETWEEN 2 AND 5 AND m BETWEEN 2 AND 5 THEN 'At Risk'
         WHEN r = 1 AND f BETWEEN 4 AND 5 AND m BETWEEN 4 AND 5 THEN 'Can''t Lose Them'
         WHEN r BETWEEN 1 AND 2 AND f BETWEEN 1 AND 2 AND m BETWEEN 1 AND 2 THEN 'Lost'
         ELSE 'Others' END AS segment
  FROM scored),
gold AS MATERIALIZED (
  SELECT * FROM classified WHERE tier = 'Gold' ORDER BY monetary DESC, customer_id LIMIT 50),
-- The latest line of each of those 50 customers only: SQLite joins CTEs by
-- nested loops, so joining per-customer CTEs of 100,000 rows each never ends.
latest AS MATERIALIZED (
  SELECT customer_id, customer_name, segment AS customer_segment, region FROM (
    SELECT customer_id, customer_name, segment, region,
           ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date DESC, row_id DESC) AS rn
    FROM lines WHERE customer_id IN (SELECT customer_id FROM gold))
  WHERE rn = 1)
SELECT c.customer_id, l.customer_name, l.customer_segment, l.region, c.recency, c.frequency,
       c.monetary, c.r, c.f, c.m, c.tier, c.segment, c.monetary AS revenue, c.profit,
       c.frequency AS orders, c.first_order, c.last_order
FROM gold c JOIN latest l USING (customer_id)
ORDER BY c.monetary DESC, c.customer_id;
