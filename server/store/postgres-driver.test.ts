// The store writes `?` placeholders once for both databases; PostgreSQL wants `$1, $2, …`.
// A wrong number here binds a value to the wrong column, silently.
import { describe, expect, it } from 'vitest';
import { numberPlaceholders } from './postgres-driver.js';

describe('numberPlaceholders', () => {
  it('leaves a statement without placeholders alone', () => {
    expect(numberPlaceholders('SELECT 1 AS ok')).toBe('SELECT 1 AS ok');
  });

  it('numbers placeholders left to right, starting at 1', () => {
    expect(numberPlaceholders('UPDATE clients SET last_seen_at = ? WHERE client_id = ?')).toBe(
      'UPDATE clients SET last_seen_at = $1 WHERE client_id = $2',
    );
  });

  it('goes past 9 without mangling two-digit numbers', () => {
    const sql = `VALUES (${Array.from({ length: 12 }, () => '?').join(', ')})`;
    expect(numberPlaceholders(sql)).toBe(
      `VALUES (${Array.from({ length: 12 }, (_, i) => `$${i + 1}`).join(', ')})`,
    );
  });

  it('numbers adjacent placeholders and those inside expressions', () => {
    expect(numberPlaceholders('SELECT ??, COALESCE(?, ?)')).toBe('SELECT $1$2, COALESCE($3, $4)');
  });

  it('starts again at 1 for every statement', () => {
    expect(numberPlaceholders('a = ?')).toBe('a = $1');
    expect(numberPlaceholders('b = ?')).toBe('b = $1');
  });

  it('keeps the rest of a multi-line statement byte for byte', () => {
    const sql = "SELECT *\n  FROM accounts a WHERE a.username LIKE ? ESCAPE '\\'\n  LIMIT ?";
    expect(numberPlaceholders(sql)).toBe(
      "SELECT *\n  FROM accounts a WHERE a.username LIKE $1 ESCAPE '\\'\n  LIMIT $2",
    );
  });
});
