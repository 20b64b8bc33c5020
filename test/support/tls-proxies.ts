import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { TestCertificates } from './tls-certs';

// Stand-ins for a Temporal cluster's TLS front, in front of the plain test dev server: what
// they check is what a real frontend checks (the client certificate, the API key), and every
// call still reaches the real server behind them.

export interface MtlsProxy {
  address: string;
  /** The subject CN of the client certificate on each connection the proxy let through. */
  clients: string[];
  /** Handshakes the proxy refused, with OpenSSL's reason. */
  refused: string[];
  close(): Promise<void>;
}

/** TLS termination that requires a client certificate signed by the CA, then plain TCP to `upstream`. */
export async function startMtlsProxy(certs: TestCertificates, upstream: string): Promise<MtlsProxy> {
  const [host, port] = upstream.split(':') as [string, string];
  const clients: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      cert: readFileSync(certs.serverCert),
      key: readFileSync(certs.serverKey),
      ca: readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      clients.push(String(socket.getPeerCertificate().subject.CN));
      const backend = net.connect(Number(port), host);
      for (const s of [socket, backend]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => sockets.delete(s));
      }
      socket.pipe(backend).pipe(socket);
      socket.on('close', () => backend.destroy());
      backend.on('close', () => socket.destroy());
    },
  );
  server.on('tlsClientError', (err) => refused.push(err.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    clients,
    refused,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface ApiKeyProxy {
  address: string;
  /** The `authorization` header of every gRPC call, with its method. */
  calls: { path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * An HTTP/2 TLS front like Temporal Cloud's: each gRPC call must carry `authorization: Bearer
 * <apiKey>` or is answered UNAUTHENTICATED; the others are forwarded to `upstream` as they came.
 */
export async function startApiKeyProxy(
  certs: TestCertificates,
  upstream: string,
  apiKey: string,
): Promise<ApiKeyProxy> {
  const calls: ApiKeyProxy['calls'] = [];
  const backend = http2.connect(`http://${upstream}`);
  backend.on('error', () => {});
  const server = http2.createSecureServer({
    cert: readFileSync(certs.serverCert),
    key: readFileSync(certs.serverKey),
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const authorization = headers.authorization;
    calls.push({ path: String(headers[':path']), authorization });
    stream.on('error', () => {});
    if (authorization !== `Bearer ${apiKey}`) {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '16',
          'grpc-message': 'API key missing or wrong',
        },
        { endStream: true },
      );
      return;
    }
    const forwarded: http2.OutgoingHttpHeaders = { ...headers };
    delete forwarded[':scheme'];
    delete forwarded[':authority'];
    const call = backend.request(forwarded);
    call.on('error', () => stream.destroy());
    let trailers: http2.IncomingHttpHeaders = {};
    call.on('trailers', (received: http2.IncomingHttpHeaders) => {
      trailers = received;
    });
    call.on('response', (response) => {
      // A trailers-only answer (an error) already holds grpc-status: pass it on as it is.
      if (response['grpc-status'] !== undefined) {
        stream.respond(response, { endStream: true });
        return;
      }
      stream.respond(response, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      call.pipe(stream);
    });
    stream.pipe(call);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    calls,
    async close() {
      for (const session of sessions) session.destroy();
      backend.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
