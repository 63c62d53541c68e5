export interface SubgraphSource {
  readonly name: string;
  readonly sdl: string;
  readonly url: string;
}
export type Composition =
  | { readonly supergraphSdl: string; readonly errors?: undefined }
  | { readonly supergraphSdl?: undefined; readonly errors: { code: string; message: string }[] };
export declare const HEADER: string;
export declare function composeSupergraph(subgraphs: readonly SubgraphSource[]): Composition;
export declare function readSubgraphs(configPath: string): SubgraphSource[];
