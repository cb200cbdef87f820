-- Cold: the same as ../customers_gold.sql over the lines of one filter (bench/peers/duckdb_cold.mjs).
-- ListCustomers, tier Gold, first page of 50 by monetary: scores, segment, the latest
-- line's name, segment and region, lifetime figures.
WITH f AS (SELECT * FROM lines WHERE region = '{{REGION}}' AND category = '{{CATEGORY}}'),
as_of AS (SELECT MAX(order_date) AS d FROM f),
rfm AS (
  SELECT customer_id, CAST(((SELECT d FROM as_of)) - MAX(order_date) AS INTEGER)
           AS recency,
         COUNT(DISTINCT order_id) AS frequency, SUM(sales) AS monetary
  FROM f GROUP BY customer_id),
ranked AS (
  SELECT *, COUNT(*) OVER () AS n, RANK() OVER (ORDER BY recency DESC) - 1 AS wr,
         RANK() OVER (ORDER BY frequency) - 1 AS wf, RANK() OVER (ORDER BY monetary) - 1 AS wm
  FROM rfm),
scored AS (
  SELECT *, 1 + 5 * wr // n AS r, 1 + 5 * wf // n AS f, 1 + 5 * wm // n AS m FROM ranked),
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
latest AS (
  SELECT customer_id, customer_name, segment AS customer_segment, region FROM (
    SELECT customer_id, customer_name, segment, region,
           ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date DESC, row_id DESC) AS rn
    FROM f)
  WHERE rn = 1),
life AS (
  SELECT customer_id, SUM(sales) AS revenue, SUM(profit) AS profit, COUNT(DISTINCT order_id) AS orders,
         MIN(order_date) AS first_order, MAX(order_date) AS last_order
  FROM f GROUP BY customer_id)
SELECT c.customer_id, l.customer_name, l.customer_segment, l.region, c.recency, c.frequency,
       c.monetary, c.r, c.f, c.m, c.tier, c.segment, life.revenue, life.profit, life.orders,
       life.first_order, life.last_order
FROM classified c JOIN latest l USING (customer_id) JOIN life USING (customer_id)
WHERE c.tier = 'Gold'
ORDER BY c.monetary DESC, c.customer_id
LIMIT 50;
