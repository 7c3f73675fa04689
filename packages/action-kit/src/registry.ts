/** The registry client an action works with, built from typed credentials. */
import type { HttpClient, Logger } from '@release-actions/shared';
import { CredentialResolver, RegistryClient, type ExplicitCredential } from '@release-actions/shared/oci';

export interface RegistryAccess {
  /** Explicit logins, each for one registry; they win over the docker config for that registry. */
  credentials?: readonly ExplicitCredential[];
  /** The `github-token` input: the credential for `ghcr.io` when nothing else is given for it. */
  githubToken?: string;
  /** Registries spoken to over plain HTTP (loopback ones always are). */
  insecureRegistries?: readonly string[];
  /** Share one HTTP client with other work of the action (closed by whoever made it). */
  http?: HttpClient;
  logger: Logger;
}

/** Explicit credentials for each of `registries` from one username and password, or none without a username. */
export function sameLogin(
  registries: readonly string[],
  username: string | undefined,
  password: string | undefined,
): ExplicitCredential[] {
  if (!username) return [];
  return [...new Set(registries)].map((registry) => ({ registry, username, password: password ?? '' }));
}

/** A registry client whose credentials are the explicit ones, then the docker config, then `githubToken` for ghcr.io. */
export function createRegistryClient(access: RegistryAccess): RegistryClient {
  const credentials = new CredentialResolver({
    explicit: access.credentials ?? [],
    ...(access.githubToken && { githubToken: access.githubToken }),
    logger: access.logger,
  });
  return new RegistryClient({
    ...(access.http && { http: access.http }),
    credentials,
    insecureRegistries: access.insecureRegistries ?? [],
    logger: access.logger,
  });
}
