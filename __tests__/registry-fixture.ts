/**
 * One test registry and one client on it for a test file or a `describe` block:
 *
 *     const reg = useRegistry();
 *     it('…', async () => { await pushImage(reg.repo('app'), …); reg.registry.host; reg.client; });
 *
 * `useRegistry()` registers the hooks itself where it is called (the file's top level or a
 * `describe` body): a `beforeAll` that starts a docker-registry (`options.registry` go to
 * `startRegistry`, e.g. an auth mode) and a `RegistryClient` on an `HttpClient` retrying
 * immediately twice (with `options.credentials`, when given), and an `afterAll` that closes the
 * client and stops the registry (also when `beforeAll` failed). Its hooks run in declaration order
 * with the block's own: call it before the `beforeAll` that needs the registry.
 *
 * The getters throw a clear error when read before the `beforeAll` ran (at collection time, in a
 * `describe` body) or after the `afterAll`.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { RegistryClient, type CredentialSource, type Repository } from '@release-actions/shared/oci';
import { startRegistry, type RegistryOptions, type TestRegistry } from '@release-actions/shared/testing';

export interface RegistryFixtureOptions {
  /** Passed to `startRegistry` (auth mode, config…). */
  registry?: RegistryOptions;
  /** The client's credentials; none by default. */
  credentials?: CredentialSource;
}

export interface RegistryFixture {
  /** The running registry. */
  readonly registry: TestRegistry;
  /** A client on it (immediate retries, twice). */
  readonly client: RegistryClient;
  /** The repository `name` of the registry, through the client. */
  repo(name: string): Repository;
}

export function useRegistry(options: RegistryFixtureOptions = {}): RegistryFixture {
  let registry: TestRegistry | undefined;
  let client: RegistryClient | undefined;
  const notReady = (what: string): Error =>
    new Error(
      `useRegistry(): ${what} read outside a test (before its beforeAll started the registry, or after its afterAll stopped it)`,
    );

  beforeAll(async () => {
    registry = await startRegistry(options.registry);
    client = new RegistryClient({
      http: new HttpClient({ retry: immediateRetryPolicy(2) }),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  });
  afterAll(async () => {
    const [c, r] = [client, registry];
    client = undefined;
    registry = undefined;
    await c?.http.close();
    await r?.stop();
  });

  return {
    get registry(): TestRegistry {
      if (!registry) throw notReady('registry');
      return registry;
    },
    get client(): RegistryClient {
      if (!client) throw notReady('client');
      return client;
    },
    repo(name: string): Repository {
      if (!registry || !client) throw notReady(`repo(${JSON.stringify(name)})`);
      return client.repository({ registry: registry.host, repository: name });
    },
  };
}
