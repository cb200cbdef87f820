-- Cold: the same as ../rfm_summary.sql over the lines of one filter (bench/peers/duckdb_cold.mjs).
-- GetRfmSummary: scores (RANK), tiers and segments, per-group sums and averages.
WITH f AS (SELECT * FROM lines WHERE region = '{{REGION}}' AND segment = '{{SEGMENT}}'),
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
  FROM scored)
SELECT tier, COUNT(*), SUM(monetary), AVG(recency), AVG(frequency), AVG(monetary)
FROM classified GROUP BY tier
UNION ALL
SELECT segment, COUNT(*), SUM(monetary), AVG(recency), AVG(frequency), AVG(monetary)
FROM classified GROUP BY segment;
