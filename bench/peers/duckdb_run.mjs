// The DuckDB peer of `make bench`: loads the benchmark CSV into an in-memory
// DuckDB (2 threads, like the machine) and times the equivalent SQL of each
// measured call. Prints "key=value" lines like bench-client.
//
// Usage: node duckdb_run.mjs CSV SQL_DIR REPEAT NAME...
// Placeholders {{START}}, {{END}}, {{PREV_START}} come from the environment.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [csv, sqlDir, repeatText, ...names] = process.argv.slice(2);
const repeat = Number(repeatText);
const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const connection = await instance.connect();

const quoted = csv.replaceAll("'", "''");
let start = performance.now();
await connection.run(
  `CREATE TABLE lines AS SELECT * FROM read_csv('${quoted}', header = true, normalize_names = true)`);
const loadSeconds = (performance.now() - start) / 1000;
const count = Number((await connection.runAndReadAll('SELECT COUNT(*) FROM lines')).getRows()[0][0]);
console.log(`duckdb_load_lines=${count}`);
console.log(`duckdb_load_seconds=${loadSeconds}`);
console.log(`duckdb_load_lines_per_s=${Math.round(count / loadSeconds)}`);

for (const name of names) {
  const sql = readFileSync(join(sqlDir, `${name}.sql`), 'utf8')
    .replaceAll('{{START}}', process.env.START ?? '')
    .replaceAll('{{END}}', process.env.END ?? '')
    .replaceAll('{{PREV_START}}', process.env.PREV_START ?? '');
  await connection.runAndReadAll(sql);  // warm-up
  const ms = [];
  for (let i = 0; i < repeat; ++i) {
    start = performance.now();
    await connection.runAndReadAll(sql);
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  console.log(`duckdb_${name}_p50_ms=${at(0.5)}`);
  console.log(`duckdb_${name}_p99_ms=${at(0.99)}`);
}
