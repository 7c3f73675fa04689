/**
 * The inputs and outputs tables of each action's docs page are action.yml's (name, required,
 * default, description), kept so by scripts/docs-tables.ts; these tests run its check in-process
 * on the repository, and prove on altered action.yml texts that a difference is found and named.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { parseDocument, type Document, type YAMLMap } from 'yaml';
import {
  actionNames,
  checkPages,
  comparePage,
  escapeCell,
  parseAction,
  parseTable,
  renderTable,
  splitRow,
  updatePage,
  writePages,
} from '../../scripts/docs-tables.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const where = (action: string) => ({
  page: `docs/${action}.md`,
  action,
  file: join(root, 'docs', `${action}.md`),
});

/** `action.yml` with `edit` applied, checked to have changed something. */
function edited(text: string, edit: (text: string) => string): string {
  const after = edit(text);
  assert.notEqual(after, text, 'the edit must change the action.yml text');
  return after;
}

describe('docs tables of the actions', () => {
  it('covers every action with an action.yml, the five of today among them', () => {
    const names = actionNames(root);
    for (const action of ['build-sign', 'health-check', 'promote', 'sbom', 'verify-image'])
      assert.ok(names.includes(action), `actions/${action}/action.yml is not found`);
  });

  it("has every page's inputs and outputs tables equal to its action.yml", async () => {
    const differences = await checkPages(root);
    assert.deepEqual(
      differences.map((d) => d.message),
      [],
      `stale docs tables (run npm run docs:tables):\n${differences.map((d) => `  ${d.message}`).join('\n')}`,
    );
  });
});

describe('comparePage', () => {
  // The page as the generator writes it for the action.yml of now, so these cases hold while
  // action.yml gains inputs; each then alters action.yml's text and expects the difference named.
  const action = 'verify-image';
  const yaml = read(`actions/${action}/action.yml`);
  const pagePromise = updatePage(read(`docs/${action}.md`), parseAction(yaml), where(action));
  const alter = (edit: (doc: Document) => void) =>
    edited(yaml, (text) => {
      const doc = parseDocument(text);
      edit(doc);
      return doc.toString();
    });

  it('finds no difference between a page and the action.yml it was generated from', async () => {
    assert.deepEqual(await comparePage(await pagePromise, yaml, where(action)), []);
  });

  it('names an input added to action.yml that the page lacks', async () => {
    const added = alter((doc) =>
      doc.setIn(['inputs', 'example-added-input'], { description: 'Added.', required: false, default: 'x' }),
    );
    const found = await comparePage(await pagePromise, added, where(action));
    assert.deepEqual(
      found.map((d) => [d.page, d.kind, d.name]),
      [['docs/verify-image.md', 'inputs', 'example-added-input']],
    );
    assert.equal(
      found[0]!.message,
      'docs/verify-image.md: input "example-added-input" is in actions/verify-image/action.yml but not in the page\'s inputs table',
    );
  });

  it('names the field of an input whose description, default or required changed', async () => {
    const changed = alter((doc) => {
      doc.setIn(['inputs', 'images', 'description'], 'Several images | one per line.');
      doc.setIn(['inputs', 'images', 'required'], true);
      doc.setIn(['inputs', 'signature-format', 'default'], 'bundle-only');
    });
    const found = await comparePage(await pagePromise, changed, where(action));
    assert.deepEqual(
      found.map((d) => [d.kind, d.name]),
      [
        ['inputs', 'images'],
        ['inputs', 'images'],
        ['inputs', 'signature-format'],
      ],
    );
    assert.match(
      found[0]!.message,
      /^docs\/verify-image\.md: input "images": required is "yes" in actions\/verify-image\/action\.yml, "no" in the page$/,
    );
    assert.match(
      found[1]!.message,
      /^docs\/verify-image\.md: input "images": description is "Several images \\\\\| one per line\." in actions\/verify-image\/action\.yml, ".+" in the page$/,
    );
    assert.match(
      found[2]!.message,
      /input "signature-format": default is "`bundle-only`" in .*, "`[^`]+`" in the page$/,
    );
  });

  it('names an output removed from action.yml that the page still lists', async () => {
    const removed = alter((doc) => doc.deleteIn(['outputs', 'signers']));
    const found = await comparePage(await pagePromise, removed, where(action));
    assert.deepEqual(
      found.map((d) => d.message),
      [
        'docs/verify-image.md: output "signers" is in the page\'s outputs table but not in actions/verify-image/action.yml',
      ],
    );
  });

  it('reports a table whose rows are right but out of order', async () => {
    const reordered = alter((doc) => {
      const inputs = doc.get('inputs') as YAMLMap;
      inputs.items.unshift(...inputs.items.splice(1, 1));
    });
    const found = await comparePage(await pagePromise, reordered, where(action));
    assert.equal(found.length, 1);
    assert.equal(found[0]!.kind, 'inputs');
    assert.match(
      found[0]!.message,
      /^docs\/verify-image\.md: the inputs table has the rows of .* but not in its order or layout$/,
    );
  });

  it('reports a page without markers, and updatePage refuses it naming the page', async () => {
    const bare = (await pagePromise).replace(/<!-- outputs:start[^>]*-->/, '');
    const found = await comparePage(bare, yaml, where(action));
    assert.deepEqual(
      found.map((d) => [d.kind, d.name]),
      [['outputs', undefined]],
    );
    assert.match(found[0]!.message, /^docs\/verify-image\.md: no outputs table markers/);
    await assert.rejects(
      updatePage(bare, parseAction(yaml), where(action)),
      /docs\/verify-image\.md has no outputs table markers/,
    );
  });
});

describe('rendering', () => {
  it('escapes pipes, keeps newlines as <br>, and shows markup as written', () => {
    assert.equal(escapeCell('a | b'), 'a \\| b');
    assert.equal(escapeCell('first line\nsecond line\n'), 'first line<br>second line');
    assert.equal(
      escapeCell('<name>.cdx.json, v*, [x](y), ~z~'),
      '\\<name>.cdx.json, v\\*, \\[x\\](y), \\~z\\~',
    );
    assert.equal(escapeCell('RUNNER_TEMP and _x_'), 'RUNNER_TEMP and \\_x\\_');
    assert.equal(escapeCell('&amp; & co'), '\\&amp; & co');
    assert.deepEqual(splitRow('| `a` | x \\| y<br>z |'), ['`a`', 'x \\| y<br>z']);
  });

  it('writes a description with a pipe and a newline as one cell, stable under prettier, that compares equal', async () => {
    const yaml = [
      'name: t',
      'inputs:',
      '  mode:',
      '    description: |',
      '      a|b or c | d',
      '      second line',
      "    default: 'a|b'",
      '  token:',
      '    description: >-',
      '      folded',
      '      text',
      '    required: true',
      'outputs:',
      '  out:',
      "    description: 'x | y'",
      '',
    ].join('\n');
    const file = join(root, 'docs', 'example.md');
    const options = { page: 'docs/example.md', action: 'example', file };
    const page = [
      '# example',
      '',
      'Prose before.',
      '',
      '<!-- inputs:start -->',
      '<!-- inputs:end -->',
      '',
      'Prose between.',
      '',
      '<!-- outputs:start -->',
      '| stale | table |',
      '<!-- outputs:end -->',
      '',
      'Prose after.',
      '',
    ].join('\n');
    const updated = await updatePage(page, parseAction(yaml), options);
    const inputs = await renderTable('inputs', parseAction(yaml).inputs, file);
    assert.deepEqual(parseTable(inputs), [
      ['`mode`', 'no', '`a\\|b`', 'a\\|b or c \\| d<br>second line'],
      ['`token`', 'yes', '', 'folded text'],
    ]);
    assert.ok(updated.includes(inputs));
    assert.deepEqual(parseTable(updated.slice(updated.indexOf('<!-- outputs'))), [['`out`', 'x \\| y']]);
    for (const prose of ['# example\n\nProse before.\n\n', '\n\nProse between.\n\n', '\n\nProse after.\n'])
      assert.ok(updated.includes(prose), prose);
    assert.ok(!updated.includes('stale'));
    const config = (await prettier.resolveConfig(file)) ?? {};
    assert.ok(
      await prettier.check(updated, { ...config, filepath: file }),
      'prettier would reformat the page',
    );
    assert.deepEqual(await comparePage(updated, yaml, options), []);
    assert.equal(
      await updatePage(updated, parseAction(yaml), options),
      updated,
      'a second run changes nothing',
    );
  });
});

describe('writePages and checkPages on a repository', () => {
  it('rewrites a stale page, leaves a page without markers alone and says why, then checks clean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docs-tables-'));
    try {
      const yaml = (description: string) =>
        `name: a\ninputs:\n  x:\n    description: '${description}'\n    default: '1'\noutputs:\n  y:\n    description: 'Y.'\n`;
      for (const name of ['alpha', 'beta']) mkdirSync(join(dir, 'actions', name), { recursive: true });
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'actions', 'alpha', 'action.yml'), yaml('X.'));
      writeFileSync(join(dir, 'actions', 'beta', 'action.yml'), yaml('X.'));
      const markers =
        '<!-- inputs:start -->\n<!-- inputs:end -->\n\n<!-- outputs:start -->\n<!-- outputs:end -->\n';
      writeFileSync(join(dir, 'docs', 'alpha.md'), `# alpha\n\n${markers}`);
      writeFileSync(join(dir, 'docs', 'beta.md'), '# beta\n\nNo tables here.\n');

      const before = await checkPages(dir);
      assert.deepEqual([...new Set(before.map((d) => d.page))], ['docs/alpha.md', 'docs/beta.md']);
      assert.ok(before.some((d) => d.page === 'docs/alpha.md' && d.name === 'x'));

      const { changed, problems } = await writePages(dir);
      assert.deepEqual(changed, ['docs/alpha.md']);
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /^docs\/beta\.md has no inputs table markers/);
      assert.equal(readFileSync(join(dir, 'docs', 'beta.md'), 'utf8'), '# beta\n\nNo tables here.\n');

      writeFileSync(join(dir, 'docs', 'beta.md'), `# beta\n\n${markers}`);
      await writePages(dir);
      assert.deepEqual(await checkPages(dir), []);

      // action.yml changes after the pages were generated: the check names the page and the input.
      writeFileSync(join(dir, 'actions', 'beta', 'action.yml'), yaml('X, now described.'));
      const after = await checkPages(dir);
      assert.deepEqual(
        after.map((d) => [d.page, d.kind, d.name]),
        [['docs/beta.md', 'inputs', 'x']],
      );

      // A new action without a page: named once, by the check and by the generator, which writes no page.
      mkdirSync(join(dir, 'actions', 'gamma'));
      writeFileSync(join(dir, 'actions', 'gamma', 'action.yml'), yaml('G.'));
      const missing = (await checkPages(dir)).filter((d) => d.page === 'docs/gamma.md');
      assert.deepEqual(
        missing.map((d) => [d.kind, d.name]),
        [[undefined, undefined]],
      );
      assert.match(
        missing[0]!.message,
        /^docs\/gamma\.md is missing: actions\/gamma has no docs page; write one with <!-- inputs:start/,
      );
      assert.match((await writePages(dir)).problems.join('\n'), /^docs\/gamma\.md is missing/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
