'use strict';
// A stand-in for an Opareta app: serves GET /api/health (200 while its database answers SELECT 1,
// 503 otherwise) and keeps a small pool of open connections, like a real app, so a database rename
// during a restore needs its backends terminated. One JSON line per request or error on stdout.
const http = require('node:http');
const { Pool } = require('pg');

const env = process.env;
const service = env.SERVICE_NAME || 'app';
const instance = env.APP_INSTANCE || '1';
const port = Number(env.PORT || 3000);
const POOL_SIZE = 3;
const KEEPALIVE_MS = 5000;

const pool = new Pool({
  host: env.DB_HOST,
  port: Number(env.DB_PORT || 5432),
  user: env.DB_USER,
  password: env.DB_PASSWORD,
  database: env.DB_NAME,
  max: POOL_SIZE,
  idleTimeoutMillis: 0,
  connectionTimeoutMillis: 2000,
  query_timeout: 3000,
  application_name: `${service}-${instance}`,
});

function log(fields) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), service, instance, ...fields }) + '\n');
}

function logDatabaseError(context, err) {
  log({ level: 'error', msg: `database connection error (${context}): ${err.message}` });
}

// An idle client whose backend dies (terminated, server stopped) emits here; the pool drops it.
pool.on('error', (err) => logDatabaseError('idle client', err));

async function databaseAnswers() {
  const result = await pool.query('SELECT 1 AS ok');
  return result.rows[0].ok === 1;
}

// Hold POOL_SIZE connections open and refill them after the database comes back.
async function keepConnectionsOpen() {
  const clients = [];
  try {
    for (let i = 0; i < POOL_SIZE; i++) clients.push(await pool.connect());
  } catch (err) {
    logDatabaseError('keepalive', err);
  } finally {
    for (const client of clients) client.release();
  }
}

const server = http.createServer(async (req, res) => {
  const started = Date.now();
  let status = 404;
  let body = { error: 'not found' };
  if (req.method === 'GET' && req.url === '/api/health') {
    try {
      await databaseAnswers();
      status = 200;
      body = { status: 'ok', service, instance, database: env.DB_NAME };
    } catch (err) {
      logDatabaseError('health', err);
      status = 503;
      body = { status: 'unavailable', service, instance, error: 'database connection error' };
    }
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  log({ level: 'info', method: req.method, path: req.url, status, ms: Date.now() - started });
});

server.listen(port, () => {
  log({ level: 'info', msg: `listening on ${port}` });
  keepConnectionsOpen();
});
const keepalive = setInterval(keepConnectionsOpen, KEEPALIVE_MS);

function shutdown(signal) {
  log({ level: 'info', msg: `${signal}: shutting down` });
  clearInterval(keepalive);
  server.close();
  pool.end().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
