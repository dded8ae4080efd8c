// Container HEALTHCHECK: liveness of the stemdex server in this container. Plain Node (the slim
// runtime image has no curl); exits 0 when GET /healthz answers 2xx within the timeout, else 1.
const port = process.env.STEMDEX_PORT || '8080';
// A wildcard listen address is reachable on loopback; a specific one only on itself.
const listen = process.env.STEMDEX_HOST?.trim() || '0.0.0.0';
const host = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen;
const origin = host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
// Below the HEALTHCHECK --timeout, so a hung server reads as unhealthy rather than as a timeout.
const timeoutMs = 4000;

try {
  const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`healthcheck: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
