/**
 * Test data kept beside the repository rather than in it (see `../shared/fixtures/README.md`):
 *
 * - `syft/`: anchore/syft's package-database test data (paths as in that repository);
 * - `spdx/spdx-schema.json`: the official SPDX 2.3 JSON schema (spdx/spdx-spec, tag v2.3).
 *
 * The directory is `<repository>/../shared/fixtures`, found from this file's location, or the
 * directory named by `RELEASE_ACTIONS_FIXTURES` when that is set (a checkout elsewhere, or an
 * empty directory to run the suites as a machine without the corpus does). A test that needs a
 * file there is skipped, saying what is missing and where it comes from, when it is absent:
 *
 *     it('…', { skip: needsFixtures('syft/pkg/cataloger/golang/testdata') }, () => { … });
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The environment variable that names the fixtures directory in place of `../shared/fixtures`. */
export const FIXTURES_ENV = 'RELEASE_ACTIONS_FIXTURES';

/** The repository's root directory (this file is `<root>/__tests__/fixtures.ts`). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const fromEnv = process.env[FIXTURES_ENV];

/** The fixtures directory: `$RELEASE_ACTIONS_FIXTURES`, else `<repository>/../shared/fixtures`. */
export const FIXTURES_DIR = fromEnv ? resolve(fromEnv) : resolve(REPO_ROOT, '..', 'shared', 'fixtures');

/** The path of a fixture: `fixture('syft', 'pkg/cataloger/redhat/testdata/Packages')`. */
export function fixture(...parts: string[]): string {
  return join(FIXTURES_DIR, ...parts);
}

/** What each top-level fixture directory is and where it comes from. */
const ORIGIN: Record<string, string> = {
  syft: 'the syft corpus lives at ../shared/fixtures/syft (anchore/syft test data, see ../shared/fixtures/README.md)',
  spdx:
    'the official SPDX 2.3 JSON schema lives at ../shared/fixtures/spdx/spdx-schema.json ' +
    '(spdx/spdx-spec schemas/spdx-schema.json at tag v2.3, see ../shared/fixtures/README.md)',
};

/**
 * A `skip` value for `it`/`describe`: false when the fixture `parts` name exists, else the reason
 * to skip (the path looked at, what it is and where it comes from, and the variable to set).
 */
export function needsFixtures(...parts: string[]): string | false {
  const path = fixture(...parts);
  if (existsSync(path)) return false;
  const shown = fromEnv ? `${path} (${FIXTURES_ENV})` : relative(REPO_ROOT, path);
  const top = join(...parts).split(/[\\/]/)[0]!;
  const origin = ORIGIN[top] ?? 'fixtures live in ../shared/fixtures (see ../shared/fixtures/README.md)';
  return `${shown} not found: ${origin}, or set ${FIXTURES_ENV}`;
}
