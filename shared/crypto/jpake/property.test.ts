// Property tests with fast-check. Each run does a full EC-J-PAKE exchange (tens of ms), so the
// run counts stay modest.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAIRING_ALPHABET } from '../../protocol';
import { JpakeError } from './errors';
import type { KeyConfirmationMessage, Round1Message, Round2Message } from './messages';
import { JpakeParty } from './party';
import { clone, flipByte, runToConfirmation } from './test-helpers';

const codeChar = fc.constantFrom(...PAIRING_ALPHABET);
const word = (n: number) =>
  fc.array(codeChar, { minLength: n, maxLength: n }).map((a) => a.join(''));
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

type StepName = 'a1' | 'b1' | 'a2' | 'b2' | 'a3' | 'b3';
const FIELDS: Record<StepName, string[]> = {
  a1: ['G1', 'G2', 'zkp1.V', 'zkp1.r', 'zkp2.V', 'zkp2.r'],
  b1: ['G1', 'G2', 'zkp1.V', 'zkp1.r', 'zkp2.V', 'zkp2.r'],
  a2: ['A', 'zkpA.V', 'zkpA.r'],
  b2: ['A', 'zkpA.V', 'zkpA.r'],
  a3: ['mac'],
  b3: ['mac'],
};

type Tamper = (field: string, value: string) => string;

function setField(m: Record<string, unknown>, path: string, f: (v: string) => string): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  const target = keys.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], m) as Record<
    string,
    string
  >;
  target[last] = f(target[last]!);
}

/**
 * Runs a full exchange in which message `step` has `field` altered by `tamper`. Returns the
 * error thrown by the receiver of that message, or null if everything succeeded.
 */
function runTampered(
  step: StepName,
  field: string,
  tamper: Tamper,
): { error: unknown; at: string } {
  const a = new JpakeParty({ role: 'a', channel: 'wxyz', password: 'pairme23' });
  const b = new JpakeParty({ role: 'b', channel: 'wxyz', password: 'pairme23' });
  const t = <T>(name: StepName, m: T): T => {
    if (name !== step) return m;
    const copy = clone(m) as Record<string, unknown>;
    setField(copy, field, (v) => tamper(field, v));
    return copy as T;
  };
  const steps: Array<[string, () => unknown]> = [];
  let a1!: Round1Message;
  let b1!: Round1Message;
  let a2!: Round2Message;
  let b2!: Round2Message;
  let a3!: KeyConfirmationMessage;
  let b3!: KeyConfirmationMessage;
  steps.push(['a1', () => (a1 = a.round1())]);
  steps.push(['b1', () => (b1 = b.round1())]);
  steps.push(['recv a1', () => (b2 = b.round2(t('a1', a1)))]);
  steps.push(['recv b1', () => (a2 = a.round2(t('b1', b1)))]);
  steps.push(['recv a2', () => (b3 = b.finish(t('a2', a2)))]);
  steps.push(['recv b2', () => (a3 = a.finish(t('b2', b2)))]);
  steps.push(['recv a3', () => b.confirm(t('a3', a3))]);
  steps.push(['recv b3', () => a.confirm(t('b3', b3))]);
  for (const [name, run] of steps) {
    try {
      run();
    } catch (error) {
      return { error, at: name };
    }
  }
  return { error: null, at: 'none' };
}

const stepField = fc
  .constantFrom<StepName>('a1', 'b1', 'a2', 'b2', 'a3', 'b3')
  .chain((step) => fc.tuple(fc.constant(step), fc.constantFrom(...FIELDS[step])));

describe('JpakeParty properties', () => {
  it('equal codes always agree, and the payload round-trips', () => {
    fc.assert(
      fc.property(
        word(4),
        word(8),
        fc.uint8Array({ maxLength: 300 }),
        (channel, password, data) => {
          const { a, b, a3, b3 } = runToConfirmation(channel, password);
          a.confirm(b3);
          b.confirm(a3);
          expect(a.payloadKey).toEqual(b.payloadKey);
          expect(a.openPayload(b.sealPayload(data))).toEqual(data);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('different passwords always fail key confirmation, on both sides', () => {
    fc.assert(
      fc.property(word(4), word(8), word(8), (channel, pa, pb) => {
        fc.pre(pa !== pb);
        const { a, b, a3, b3 } = runToConfirmation(channel, pa, pb);
        for (const [party, tag] of [
          [a, b3],
          [b, a3],
        ] as const) {
          try {
            party.confirm(tag);
            expect.unreachable('confirm() accepted a tag made with another password');
          } catch (e) {
            expect(e).toBeInstanceOf(JpakeError);
            expect((e as JpakeError).code).toBe('key_confirmation_failed');
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('a random byte corruption of any field is rejected by the receiver of that message', () => {
    fc.assert(
      fc.property(
        stepField,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        ([step, field], index, mask) => {
          const { error, at } = runTampered(step, field, (_, v) => flipByte(v, index, mask));
          expect(at).toBe(`recv ${step}`);
          expect(error).toBeInstanceOf(JpakeError);
          const expected =
            field === 'mac'
              ? ['key_confirmation_failed']
              : field.endsWith('.r')
                ? ['invalid_proof']
                : ['invalid_point'];
          expect(expected).toContain((error as JpakeError).code);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a random text corruption (replace, drop or add a character) is rejected', () => {
    const edit = fc.oneof(
      fc.tuple(
        fc.constant('replace' as const),
        fc.nat(),
        fc.constantFrom(...B64, '=', '+', '/', ' ', 'é'),
      ),
      fc.tuple(fc.constant('drop' as const), fc.nat(), fc.constant('')),
      fc.tuple(fc.constant('add' as const), fc.nat(), fc.constantFrom(...B64, '=')),
    );
    fc.assert(
      fc.property(stepField, edit, ([step, field], [kind, pos, ch]) => {
        const { error, at } = runTampered(step, field, (_, v) => {
          const i = pos % v.length;
          if (kind === 'drop') return v.slice(0, i) + v.slice(i + 1);
          if (kind === 'add') return v.slice(0, i) + ch + v.slice(i);
          const replaced = v.slice(0, i) + ch + v.slice(i + 1);
          return replaced === v
            ? v.slice(0, i) + (v[i] === 'A' ? 'B' : 'A') + v.slice(i + 1)
            : replaced;
        });
        expect(at).toBe(`recv ${step}`);
        expect(error).toBeInstanceOf(JpakeError);
        expect([
          'invalid_message',
          'invalid_point',
          'invalid_proof',
          'key_confirmation_failed',
        ]).toContain((error as JpakeError).code);
      }),
      { numRuns: 30 },
    );
  });
});
