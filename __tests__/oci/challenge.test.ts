import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { challengeScopes, isInsufficientScope, parseWwwAuthenticate } from '@release-actions/shared/oci';

/** The challenges as plain data, for deepEqual. */
function parse(header: string) {
  return parseWwwAuthenticate(header).map((c) => ({ ...c, params: { ...c.params } }));
}

describe('parseWwwAuthenticate', () => {
  it('parses a distribution token challenge', () => {
    assert.deepEqual(
      parse(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      ),
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/alpine:pull',
          },
        },
      ],
    );
  });

  it('keeps commas inside quoted strings', () => {
    const [c] = parse(
      'Bearer realm="https://ghcr.io/token",scope="repository:a/b:pull,push",service="ghcr.io"',
    );
    assert.deepEqual(c?.params, {
      realm: 'https://ghcr.io/token',
      scope: 'repository:a/b:pull,push',
      service: 'ghcr.io',
    });
  });

  it('parses several challenges in one header (the RFC 7235 example)', () => {
    assert.deepEqual(
      parse('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'),
      [
        { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
        { scheme: 'basic', params: { realm: 'simple' } },
      ],
    );
  });

  it('parses headers that fetch joined with ", "', () => {
    assert.deepEqual(
      parse('Negotiate, Basic realm="r", Bearer realm="https://t/",scope="repository:x:pull"'),
      [
        { scheme: 'negotiate', params: {} },
        { scheme: 'basic', params: { realm: 'r' } },
        { scheme: 'bearer', params: { realm: 'https://t/', scope: 'repository:x:pull' } },
      ],
    );
  });

  it('lowercases schemes and parameter names, not values', () => {
    assert.deepEqual(parse('BEARER Realm="https://Auth.Example/Token", SERVICE=Registry'), [
      { scheme: 'bearer', params: { realm: 'https://Auth.Example/Token', service: 'Registry' } },
    ]);
  });

  it('accepts white space around "=" and between params', () => {
    assert.deepEqual(parse('Bearer  realm = "https://t/" ,  service =  reg ,,'), [
      { scheme: 'bearer', params: { realm: 'https://t/', service: 'reg' } },
    ]);
  });

  it('unescapes quoted pairs and keeps empty quoted values', () => {
    const [c] = parse('Bearer realm="a\\\\b\\"c", error=""');
    assert.equal(c?.params.realm, 'a\\b"c');
    assert.equal(c?.params.error, '');
  });

  it('reads token68 values', () => {
    assert.deepEqual(parse('Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnaw==, Basic realm="x"'), [
      { scheme: 'negotiate', params: {}, token68: 'YIIGhgYGKwYBBQUCoIIGejCCBnaw==' },
      { scheme: 'basic', params: { realm: 'x' } },
    ]);
    assert.deepEqual(parse('Custom abc='), [{ scheme: 'custom', params: {}, token68: 'abc=' }]);
  });

  it('reads a bare scheme', () => {
    assert.deepEqual(parse('Basic'), [{ scheme: 'basic', params: {} }]);
  });

  it('takes an unquoted URL whole', () => {
    assert.equal(
      parse('Bearer realm=https://auth.example/token?x=1,service=s')[0]?.params.realm,
      'https://auth.example/token?x=1',
    );
  });

  it('skips malformed parts and keeps the rest', () => {
    assert.deepEqual(parse('Bearer realm="unterminated, service="s"'), [{ scheme: 'bearer', params: {} }]);
    assert.deepEqual(parse('Bearer realm="r" junk, service="s"'), [
      { scheme: 'bearer', params: { service: 's' } },
    ]);
    assert.deepEqual(parse('orphan="x", Basic realm="r"'), [{ scheme: 'basic', params: { realm: 'r' } }]);
    assert.deepEqual(parse('Bearer __proto__="x", realm="r"'), [
      { scheme: 'bearer', params: { realm: 'r' } },
    ]);
  });

  it('returns nothing for an empty or junk header', () => {
    assert.deepEqual(parse(''), []);
    assert.deepEqual(parse(' , ,'), []);
    assert.deepEqual(parse('"quoted"'), []);
  });
});

describe('challenge helpers', () => {
  it('splits the scope parameter on spaces', () => {
    const [c] = parseWwwAuthenticate(
      'Bearer realm="r",scope="repository:a:pull,push repository:b:pull",error="insufficient_scope"',
    );
    assert.ok(c);
    assert.deepEqual(challengeScopes(c), ['repository:a:pull,push', 'repository:b:pull']);
    assert.equal(isInsufficientScope(c), true);
  });

  it('has no scopes and no insufficient_scope when the registry names none', () => {
    const [c] = parseWwwAuthenticate('Bearer realm="r",error="invalid_token"');
    assert.ok(c);
    assert.deepEqual(challengeScopes(c), []);
    assert.equal(isInsufficientScope(c), false);
  });
});
