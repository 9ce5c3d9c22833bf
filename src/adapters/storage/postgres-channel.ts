/**
 * One PostgreSQL notification channel as the stores watch it across replicas: a dedicated
 * LISTEN connection, opened by the first `watch` and kept until `close`, that reconnects with
 * back-off when it is lost. Notifications sent while it was away are lost, so every
 * (re)established connection first asks the store what it missed (`caughtUp`), and the
 * listeners hear that too. Local writers call `notify` so that this process's listeners do not
 * wait for the round trip. A failing listener is a process warning, never the others' loss.
 */
import pg from 'pg';
import { DctError } from '../../core/errors.js';

const MAX_RECONNECT_DELAY_MS = 5000;

export interface ChannelHooks<A> {
  /** what a notification's payload tells the listeners (undefined: not for them) */
  decode(payload: string | undefined): A | undefined;
  /** on each new LISTEN connection, before it is in use: what was missed while there was none */
  caughtUp(client: pg.Client, reconnect: boolean): Promise<A[]>;
  /** the store, as a failed listener's warning names it (`storage`, `audit`) */
  what: string;
}

export class PostgresChannel<A> {
  private readonly listeners = new Set<(value: A) => void>();
  private listening: Promise<void> | undefined;
  private listenClient: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectedOnce = false;
  private closed = false;

  constructor(
    private readonly clientConfig: pg.ClientConfig,
    /** the channel's name, e.g. `dct_tuf_changes_<schema>` */
    readonly channel: string,
    private readonly hooks: ChannelHooks<A>,
  ) {}

  /** Adds a listener (connecting on the first call); returns its removal. */
  async watch(listener: (value: A) => void): Promise<() => Promise<void>> {
    const entry = (value: A) => listener(value);
    this.listeners.add(entry);
    try {
      await this.startListening();
    } catch (err) {
      this.listeners.delete(entry);
      throw new DctError('STORAGE_UNAVAILABLE', `cannot listen for PostgreSQL notifications: ${(err as Error).message}`, { cause: err });
    }
    return async () => {
      this.listeners.delete(entry);
    };
  }

  /** Tells this process's listeners now (a local write; replicas hear its NOTIFY). */
  notify(value: A): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (err) {
        process.emitWarning(`dct: a ${this.hooks.what} watch listener failed: ${(err as Error).message}`);
      }
    }
  }

  /** Ends the LISTEN connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.listeners.clear();
    await this.listening?.catch(() => undefined);
    const client = this.listenClient;
    this.listenClient = undefined;
    await client?.end().catch(() => undefined);
  }

  private startListening(): Promise<void> {
    this.listening ??= this.connect().catch((err: unknown) => {
      this.listening = undefined;
      throw err;
    });
    return this.listening;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.clientConfig, keepAlive: true });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel !== this.channel) return;
      const value = this.hooks.decode(message.payload);
      if (value !== undefined) this.notify(value);
    });
    let missed: A[];
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      if (this.closed) throw new DctError('STORAGE_UNAVAILABLE', 'the store was closed');
      missed = await this.hooks.caughtUp(client, this.connectedOnce);
      this.connectedOnce = true;
      this.listenClient = client;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    for (const value of missed) this.notify(value);
  }

  private lost(client: pg.Client): void {
    if (client !== this.listenClient) return;
    this.listenClient = undefined;
    this.listening = undefined;
    void client.end().catch(() => undefined);
    this.scheduleReconnect(100);
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      this.startListening().catch(() => this.scheduleReconnect(Math.min(delayMs * 2, MAX_RECONNECT_DELAY_MS)));
    }, delayMs);
    this.reconnectTimer.unref();
  }
}
