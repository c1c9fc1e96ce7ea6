// The floor: a bare node:http server that reads a POST's body and answers 201 with a
// Location, nothing else. What it costs per request on this machine is the least any
// Node HTTP front could cost; the push server's own figure is read against it.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(201, { location: 'http://127.0.0.1/m/AAAAAAAAAAAAAAAAAAAAAA', ttl: '3600' });
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', () => process.exit(0));
