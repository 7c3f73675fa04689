/**
 * Builders for `actions/build-sign` (`@release-actions/shared/build`): command construction and
 * output parsing for `docker buildx build` and `buildah bud`/`push`, run through an injected
 * {@link ExecFn}; `assemble`, which makes an image itself (a base plus reproducible layers of
 * files, no daemon); resolving an image built elsewhere; tagging a pushed digest. See
 * docs/build-sign.md.
 */
export * from './errors.ts';
export * from './exec.ts';
export * from './request.ts';
export * from './digest.ts';
export * from './buildx.ts';
export * from './buildah.ts';
export * from './target.ts';
export * from './assemble-spec.ts';
export * from './layer.ts';
export * from './image-config.ts';
export * from './assemble.ts';
