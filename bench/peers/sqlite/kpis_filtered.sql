-- GetKpis, the last 90 days and region West, and the 90 days before.
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
WHERE order_date BETWEEN '{{PREV_START}}' AND '{{END}}' AND region = 'West';
