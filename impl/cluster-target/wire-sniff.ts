/**
 * Reading just enough of a connection's first bytes to tell who is talking, without decoding the
 * protocol: the client id of a Kafka request (our brokers name their inter-broker connections
 * `broker-N-fetcher` and `broker-N-controller`) and the session id and password ZooKeeper hands out in
 * its ConnectResponse. Pure: bytes in, a result or "need more bytes" (null) out.
 */

/** The client id of the first Kafka request in `buf`; undefined if it has none, null if `buf` is short. */
export function kafkaClientId(buf: Buffer): string | undefined | null {
  // size:int32, api_key:int16, api_version:int16, correlation_id:int32, client_id:nullable string
  // (int16 length). Request headers v1 and v2 agree up to here; v0 (controlled shutdown v0 only) has none.
  if (buf.length < 14) return null;
  const len = buf.readInt16BE(12);
  if (len < 0) return undefined;
  if (buf.length < 14 + len) return null;
  return buf.toString("utf8", 14, 14 + len);
}

/** The broker id our brokers put in their inter-broker client ids (`broker-3-fetcher` -> 3). */
export function brokerOfClientId(clientId: string | undefined): number | null {
  const m = clientId === undefined ? null : /^broker-(\d+)-/.exec(clientId);
  return m === null ? null : Number(m[1]);
}

export interface ZooKeeperSessionCredentials {
  /** As ZooKeeper prints it: "0x" and hex without leading zeros (matches ephemeralOwner). */
  sessionId: string;
  sessionIdBytes: Buffer;
  password: Buffer;
  timeoutMs: number;
}

/**
 * ZooKeeper's ConnectResponse, the server's first frame: length:int32, protocolVersion:int32,
 * timeOut:int32, sessionId:int64, passwd:buffer (int32 length), then readOnly:bool from 3.4 on.
 * A zero session id means the server refused the session (expired): no credentials.
 */
export function zooKeeperConnectResponse(buf: Buffer): ZooKeeperSessionCredentials | undefined | null {
  if (buf.length < 4) return null;
  const frame = buf.readInt32BE(0);
  if (buf.length < 4 + frame) return null;
  if (frame < 20) return undefined;
  const timeoutMs = buf.readInt32BE(8);
  const sessionIdBytes = Buffer.from(buf.subarray(12, 20));
  const passwordLength = buf.readInt32BE(20);
  if (passwordLength < 0 || 24 + passwordLength > 4 + frame) return undefined;
  const id = sessionIdBytes.readBigUInt64BE(0);
  if (id === 0n) return undefined;
  return {
    sessionId: `0x${id.toString(16)}`,
    sessionIdBytes,
    password: Buffer.from(buf.subarray(24, 24 + passwordLength)),
    timeoutMs,
  };
}
