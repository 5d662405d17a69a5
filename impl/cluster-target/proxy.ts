/**
 * A TCP proxy the suite can cut: it forwards every connection to one upstream address and can refuse,
 * sever or hold connections by who opened them. One stands in front of each broker (peers and clients
 * reach the broker only through it, by its advertised listener) and one between each broker and
 * ZooKeeper, so a network partition is a policy change here rather than firewall rules: no privileges,
 * nothing left behind on the host if the run dies.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** Who opened a connection: a broker id, or "client" for anything else (the suite's clients, kcat). */
export type Source = number | "client";

export interface ProxyOptions {
  upstreamHost: string;
  upstreamPort: number;
  /** From the first bytes the client sent: who it is, or null to wait for more bytes. */
  identify?: (first: Buffer) => Source | null;
  /** Sees what the upstream sends on each connection until it returns true (a handshake sniffer). */
  tapUpstream?: (bytes: Buffer) => boolean;
}

/** Bytes a client may send before it is identified; past this it counts as "client". */
const IDENTIFY_LIMIT_BYTES = 4096;

interface Pipe {
  source: Source;
  downstream: Socket;
  upstream: Socket | null;
}

export class CuttableProxy {
  private server: Server | null = null;
  private readonly pipes = new Set<Pipe>();
  private allowed: (source: Source) => boolean = () => true;
  private holds = 0;
  private readonly held: Array<() => void> = [];
  port = 0;

  constructor(private readonly options: ProxyOptions) {}

  listen(host = "127.0.0.1", port = 0): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        const a = server.address();
        this.port = typeof a === "object" && a !== null ? a.port : 0;
        resolve(this.port);
      });
    });
  }

  /** Sets who may pass; live connections of sources no longer allowed are severed now. */
  setPolicy(allowed: (source: Source) => boolean): void {
    this.allowed = allowed;
    for (const p of [...this.pipes]) if (!allowed(p.source)) this.sever(p);
  }

  /** Severs every live connection (their clients reconnect, through the policy). */
  severAll(): void {
    for (const p of [...this.pipes]) this.sever(p);
  }

  /** New connections wait, unforwarded, until the returned release is called. */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      if (this.holds === 0) for (const go of this.held.splice(0)) go();
    };
  }

  async close(): Promise<void> {
    this.severAll();
    for (const go of this.held.splice(0)) go();
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private sever(p: Pipe): void {
    this.pipes.delete(p);
    p.downstream.destroy();
    p.upstream?.destroy();
  }

  private accept(downstream: Socket): void {
    downstream.setNoDelay(true);
    let first = Buffer.alloc(0);
    const pipe: Pipe = { source: "client", downstream, upstream: null };
    let decided = false;
    const onData = (chunk: Buffer) => {
      first = Buffer.concat([first, chunk]);
      if (decided) return;
      const identify = this.options.identify;
      const who = identify === undefined ? "client" : identify(first);
      if (who === null && first.length < IDENTIFY_LIMIT_BYTES) return;
      decided = true;
      pipe.source = who ?? "client";
      this.whenNotHeld(() => this.forward(pipe, () => first, stopBuffering));
    };
    const stopBuffering = () => downstream.off("data", onData);
    downstream.on("data", onData);
    downstream.on("error", () => this.sever(pipe));
    downstream.on("close", () => this.sever(pipe));
    // ZooKeeper clients and some Kafka clients speak first; a client that waits for the server never
    // does, so the proxy decides after a moment without its first bytes.
    setTimeout(() => {
      if (decided || downstream.destroyed) return;
      decided = true;
      this.whenNotHeld(() => this.forward(pipe, () => first, stopBuffering));
    }, 200);
  }

  private whenNotHeld(go: () => void): void {
    if (this.holds > 0) this.held.push(go);
    else go();
  }

  private forward(pipe: Pipe, buffered: () => Buffer, stopBuffering: () => void): void {
    const { downstream } = pipe;
    if (downstream.destroyed || this.server === null) return;
    if (!this.allowed(pipe.source)) {
      downstream.destroy();
      return;
    }
    const upstream = tcpConnect({
      host: this.options.upstreamHost,
      port: this.options.upstreamPort,
      noDelay: true,
    });
    pipe.upstream = upstream;
    this.pipes.add(pipe);
    upstream.on("error", () => this.sever(pipe));
    upstream.on("close", () => this.sever(pipe));
    upstream.on("connect", () => {
      if (!this.pipes.has(pipe)) return;
      stopBuffering();
      const pending = buffered();
      if (pending.length > 0) upstream.write(pending);
      downstream.pipe(upstream);
      const tap = this.options.tapUpstream;
      if (tap === undefined) upstream.pipe(downstream);
      else {
        let seen = Buffer.alloc(0);
        let tapping = true;
        upstream.on("data", (chunk: Buffer) => {
          if (tapping) {
            seen = Buffer.concat([seen, chunk]);
            if (tap(seen)) tapping = false;
          }
          if (!downstream.write(chunk)) upstream.pause();
        });
        downstream.on("drain", () => upstream.resume());
      }
    });
  }
}
