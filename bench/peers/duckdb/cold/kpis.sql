-- Cold GetKpis: one region, a 90-day range and the 90 days before it.
SELECT SUM(CASE WHEN order_date >= '{{START}}' THEN sales END),
       SUM(CASE WHEN order_date >= '{{START}}' THEN profit END),
       COUNT(DISTINCT CASE WHEN order_date >= '{{START}}' THEN order_id END),
       COUNT(DISTINCT CASE WHEN order_date >= '{{START}}' THEN customer_id END),
       SUM(CASE WHEN order_date >= '{{START}}' THEN quantity END),
       SUM(CASE WHEN order_date < '{{START}}' THEN sales END),
       SUM(CASE WHEN order_date < '{{START}}' THEN profit END),
       COUNT(DISTINCT CASE WHEN order_date < '{{START}}' THEN order_id END),
       COUNT(DISTINCT CASE WHEN order_date < '{{START}}' THEN customer_id END),
       SUM(CASE WHEN order_date < '{{START}}' THEN quantity END)
FROM lines
WHERE order_date BETWEEN '{{PREV_START}}' AND '{{END}}' AND region = '{{REGION}}';
