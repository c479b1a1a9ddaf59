/**
 * The small SQL surface the shared store code needs. The Postgres store (postgres.js) and
 * the embedded store (PGlite) each adapt their driver to it, so the SQL for writing,
 * querying and migrating is written once.
 */

/** A statement's rows as arrays, with the column names in order (names may repeat). */
export interface SqlResult {
  columns: string[];
  rows: unknown[][];
}

/** Statements on one connection or inside one transaction. */
export interface SqlSession {
  /** Runs one statement with `$n` parameters; rows come back keyed by column name. */
  query(text: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a script of one or more statements that takes no parameters. */
  exec(script: string): Promise<void>;
}

/** A database handle: sessions, transactions and the read-only path for operators' SQL. */
export interface SqlClient extends SqlSession {
  /** Runs `fn` in one transaction, committed when it resolves and rolled back when it throws. */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Runs exactly one statement, as written, inside a READ ONLY transaction. A script of
   * several statements is refused, so `commit; delete ...` cannot escape it. This guards
   * operators against accidents; it is not a permission boundary (the connection's role is).
   */
  readOnly(text: string): Promise<SqlResult>;
  /**
   * Runs `statement`, a `COPY ... FROM STDIN`, feeding it `data` (COPY text), with
   * `statement_timeout` set when `timeoutMs` is given. Rejects with the server's error when
   * the server refuses the data. Only drivers that speak COPY over a socket have it.
   */
  copyIn?(statement: string, data: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}
