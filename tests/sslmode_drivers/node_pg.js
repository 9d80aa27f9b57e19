// Connects with node-postgres (pg) to each URL given and prints one JSON line a URL: whether
// the session is encrypted (pg_stat_ssl.ssl), or the error: tests/test_sslmode_drivers.py.
const { Client } = require("pg");

(async () => {
  for (const url of process.argv.slice(2)) {
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      const result = await client.query("select ssl from pg_stat_ssl where pid = pg_backend_pid()");
      console.log(JSON.stringify(result.rows[0].ssl));
    } catch (error) {
      console.log(JSON.stringify(`error: ${error.message}`));
    } finally {
      await client.end().catch(() => {});
    }
  }
})();
