-- GetKpis, no filter: the whole span, and the same length of time before it
-- (empty here, but computed, as the service does).
WITH span AS (SELECT MIN(order_date) AS f, MAX(order_date) AS l FROM lines),
p AS (SELECT f, l, f - CAST(l - f + 1 AS INTEGER) AS pf
      FROM span)
SELECT SUM(CASE WHEN order_date >= f THEN sales END), SUM(CASE WHEN order_date >= f THEN profit END),
       COUNT(DISTINCT CASE WHEN order_date >= f THEN order_id END),
       COUNT(DISTINCT CASE WHEN order_date >= f THEN customer_id END),
       SUM(CASE WHEN order_date >= f THEN quantity END),
       SUM(CASE WHEN order_date < f THEN sales END), SUM(CASE WHEN order_date < f THEN profit END),
       COUNT(DISTINCT CASE WHEN order_date < f THEN order_id END),
       COUNT(DISTINCT CASE WHEN order_date < f THEN customer_id END),
       SUM(CASE WHEN order_date < f THEN quantity END)
FROM lines, p WHERE order_date >= pf;
