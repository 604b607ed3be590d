/**
 * shared/cpace.ts against the published test vectors of draft-irtf-cfrg-cpace
 * (revision 21, appendix "Test vector for CPace using group ristretto255 and
 * hash SHA-512", and the string-utility vectors of "CPace function
 * definitions"). Every value below is the draft's hex, byte for byte.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  calculateGenerator,
  concat,
  confirmationTag,
  DSI,
  generatorString,
  IDENTITY,
  intermediateSessionKey,
  isIdentity,
  lvCat,
  macKey,
  prependLen,
  scalarFromBytes,
  scalarMult,
  scalarMultVfy,
  transcriptIr,
} from '../../shared/wire/cpace.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => new TextEncoder().encode(s);

// Inputs of the ristretto255 / SHA-512 vector.
const PRS = ascii('Password');
const CI = hex('0b415f696e69746961746f720b425f726573706f6e646572');
const SID = hex('7e4b4791d6a8ef019b936c79fb7f2c57');
const ADA = ascii('ADa');
const ADB = ascii('ADb');
const YA_SCALAR = hex('da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08');
const YB_SCALAR = hex('d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d');

// Outputs.
const GENERATOR_STRING = `
  11435061636552697374726574746f3235350850617373776f726464
  00000000000000000000000000000000000000000000000000000000
  00000000000000000000000000000000000000000000000000000000
  00000000000000000000000000000000000000000000000000000000
  00000000000000000000000000000000180b415f696e69746961746f
  720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f
  2c57`;
const G = '222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56';
const YA = 'd6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157';
const YB = '3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258';
const K = '80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f';
const TRANSCRIPT_IR = `
  20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0e
  ec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa
  8232b5ebe63324e2d9e7433f725803414462`;
const ISK_IR = `
  b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dc
  ae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c
  3fa2068af7900447`;

describe('CPace string utilities (draft appendix)', () => {
  it('prepend_len', () => {
    expect(toHex(prependLen(new Uint8Array()))).toBe('00');
    expect(toHex(prependLen(ascii('1234')))).toBe('0431323334');
    const r127 = Uint8Array.from({ length: 127 }, (_, i) => i);
    const r128 = Uint8Array.from({ length: 128 }, (_, i) => i);
    expect(toHex(prependLen(r127))).toBe(`7f${toHex(r127)}`);
    expect(toHex(prependLen(r128))).toBe(`8001${toHex(r128)}`);
  });

  it('lv_cat', () => {
    expect(toHex(lvCat(ascii('1234'), ascii('5'), ascii(''), ascii('678')))).toBe('043132333401350003363738');
  });

  it('transcript_ir', () => {
    expect(toHex(transcriptIr(ascii('123'), ascii('PartyA'), ascii('234'), ascii('PartyB')))).toBe(
      '03313233065061727479410332333406506172747942',
    );
    expect(toHex(transcriptIr(ascii('3456'), ascii('PartyA'), ascii('2345'), ascii('PartyB')))).toBe(
      '043334353606506172747941043233343506506172747942',
    );
  });
});

describe('CPace-ristretto255-SHA512 test vectors (draft-irtf-cfrg-cpace-21)', () => {
  it('DSI', () => {
    expect(new TextDecoder().decode(DSI)).toBe('CPaceRistretto255');
  });

  it('generator string, and the generator g', () => {
    expect(toHex(generatorString(PRS, CI, SID))).toBe(toHex(hex(GENERATOR_STRING)));
    expect(generatorString(PRS, CI, SID)).toHaveLength(170);
    expect(toHex(calculateGenerator(PRS, CI, SID).toBytes())).toBe(G);
  });

  it('the shares Ya and Yb from the given scalars', () => {
    const g = calculateGenerator(PRS, CI, SID);
    expect(toHex(scalarMult(scalarFromBytes(YA_SCALAR), g))).toBe(YA);
    expect(toHex(scalarMult(scalarFromBytes(YB_SCALAR), g))).toBe(YB);
  });

  it('the shared point K, computed by both sides', () => {
    expect(toHex(scalarMultVfy(scalarFromBytes(YA_SCALAR), hex(YB)))).toBe(K);
    expect(toHex(scalarMultVfy(scalarFromBytes(YB_SCALAR), hex(YA)))).toBe(K);
  });

  it('ISK, initiator/responder', () => {
    const transcript = transcriptIr(hex(YA), ADA, hex(YB), ADB);
    expect(toHex(transcript)).toBe(toHex(hex(TRANSCRIPT_IR)));
    expect(toHex(intermediateSessionKey(SID, hex(K), transcript))).toBe(toHex(hex(ISK_IR)));
  });

  it('scalar_mult_vfy with valid inputs', () => {
    const s = scalarFromBytes(hex('7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05'));
    const x = hex('2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c');
    expect(toHex(scalarMultVfy(s, x))).toBe('7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e');
  });

  it('scalar_mult_vfy returns G.I for an invalid encoding and for the neutral element', () => {
    const s = scalarFromBytes(hex('7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05'));
    const yi1 = hex('2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c');
    expect(scalarMultVfy(s, yi1)).toEqual(IDENTITY);
    expect(scalarMultVfy(s, IDENTITY)).toEqual(IDENTITY);
    expect(isIdentity(scalarMultVfy(s, yi1))).toBe(true);
    // Wrong lengths do not decode either.
    expect(isIdentity(scalarMultVfy(s, new Uint8Array(31)))).toBe(true);
  });

  it('key confirmation as the draft describes it (no vectors there: checked against node:crypto)', () => {
    const isk = hex(ISK_IR);
    const key = macKey(SID, isk);
    const expectedKey = createHash('sha512')
      .update(concat(ascii('CPaceMac'), SID, isk))
      .digest();
    expect(toHex(key)).toBe(expectedKey.toString('hex'));
    const ta = confirmationTag(key, hex(YA), ADA);
    const expectedTa = createHmac('sha512', expectedKey).update(
      concat(Uint8Array.of(32), hex(YA), Uint8Array.of(3), ADA),
    );
    expect(toHex(ta)).toBe(expectedTa.digest('hex'));
    expect(toHex(ta)).not.toBe(toHex(confirmationTag(key, hex(YB), ADB)));
  });
});
