// The independent readers and writers floe's integration tests judge floe
// against, re-exported from one place: ES modules resolve bare package names
// from the importing file's directory upwards (NODE_PATH does not apply), so
// tests elsewhere in the tree import this file by its relative path and get
// the packages installed in tests/oracle/node_modules.
export * as hyparquet from 'hyparquet'
export { compressors } from 'hyparquet-compressors'
export * as duckdb from '@duckdb/node-api'
export * as parquetWasm from 'parquet-wasm'
export * as icebird from 'icebird'
