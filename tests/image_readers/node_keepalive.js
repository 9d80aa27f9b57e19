// Connects with node-postgres (pg) to the URL given, once as the URL alone and once with the
// Client option keepAlive: true, and prints one JSON line each: the session's answer to
// "select 1", or the error, and whether the kernel runs a keepalive timer on the client's
// socket (/proc/net/tcp's "tr" field is 2 for a keepalive timer, 0 for none):
// tests/test_image_readers.py.
const fs = require("fs");
const { Client } = require("pg");

function keepaliveTimer(localPort) {
  const hex = localPort.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of fs.readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields[1] local address:port, fields[3] state (01 established), fields[5] tr:when
      if (fields.length > 5 && fields[1].endsWith(`:${hex}`) && fields[3] === "01") {
        return fields[5].split(":")[0] === "02";
      }
    }
  }
  return null;
}

(async () => {
  const url = process.argv[2];
  for (const options of [{}, { keepAlive: true }]) {
    const client = new Client({ connectionString: url, ...options });
    try {
      await client.connect();
      const result = await client.query("select 1 as one");
      const port = client.connection.stream.localPort;
      console.log(JSON.stringify({ one: result.rows[0].one, keepalive: keepaliveTimer(port) }));
    } catch (error) {
      console.log(JSON.stringify({ error: error.message }));
    } finally {
      await client.end().catch(() => {});
    }
  }
})();
