// The DuckDB peer of the "cold" rows of `make bench`: the same filters as
// bench-client cold (bench/bench_client.cc: repetition i asks a filter no
// earlier one asked), the same SQL as the warm rows over the filtered lines
// (duckdb/cold/*.sql). DuckDB keeps no answers, so cold and warm differ only
// by the filter. Prints "key=value" lines like bench-client.
//
// Usage: node duckdb_cold.mjs CSV SQL_DIR REPEAT END_DATE
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [csv, sqlDir, repeatText, endText] = process.argv.slice(2);
const repeat = Math.min(12, Number(repeatText));
const regions = ['North', 'South', 'East', 'West'];
const segments = ['Consumer', 'Corporate', 'Home Office'];
const categories = ['Furniture', 'Office Supplies', 'Technology'];
const dayMs = 86400000;
const end = Date.parse(`${endText}T00:00:00Z`);
const iso = (ms) => new Date(ms).toISOString().slice(0, 10);

// One region and a `days`-day range ending 7*i days before the end (and the
// same length before it, for GetKpis' previous period).
const range = (i, days) => {
  const last = end - 7 * i * dayMs;
  return {
    REGION: regions[i % 4],
    START: iso(last - (days - 1) * dayMs),
    END: iso(last),
    PREV_START: iso(last - (2 * days - 1) * dayMs),
  };
};
const queries = {
  kpis: (i) => range(i, 90),
  breakdown_sub_category: (i) => range(i, 90),
  trend_week: (i) => range(i, 180),
  rfm_summary: (i) => ({ REGION: regions[i % 4], SEGMENT: segments[Math.floor(i / 4) % 3] }),
  customers_gold: (i) => ({ REGION: regions[i % 4], CATEGORY: categories[Math.floor(i / 4) % 3] }),
};

const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const connection = await instance.connect();
const quoted = csv.replaceAll("'", "''");
await connection.run(
  `CREATE TABLE lines AS SELECT * FROM read_csv('${quoted}', header = true, normalize_names = true)`);

for (const [name, params] of Object.entries(queries)) {
  const template = readFileSync(join(sqlDir, `${name}.sql`), 'utf8');
  const ms = [];
  for (let i = 0; i < repeat; ++i) {
    let sql = template;
    for (const [key, value] of Object.entries(params(i))) sql = sql.replaceAll(`{{${key}}}`, value);
    const start = performance.now();
    await connection.runAndReadAll(sql);
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  console.log(`duckdb_${name}_cold_p50_ms=${ms[Math.floor(ms.length / 2)]}`);
  console.log(`duckdb_${name}_cold_max_ms=${ms[ms.length - 1]}`);
}
