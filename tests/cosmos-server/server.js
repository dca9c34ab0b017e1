// Starts @vercel/cosmosdb-server over HTTPS on the given loopback host and port, keeping connections alive
// (its command line closes every connection, so each request would pay a new TLS handshake).
const { createHttpsServer } = require("@vercel/cosmosdb-server");

const [host = "127.0.0.1", port = "0"] = process.argv.slice(2);
const server = createHttpsServer({ keepAlive: true, noDelay: true });
server.keepAliveTimeout = 120000;
server.listen(Number(port), host, () => {
  console.log(`Ready to accept HTTPS connections at ${host}:${server.address().port}`);
});
