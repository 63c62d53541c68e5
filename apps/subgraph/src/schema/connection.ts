import { sharedSchemaTypes } from '@custos/enforcement';
import { builder } from './builder.js';

/** The shared DateTime, Date and PageInfo on this builder, and its `<Name>Connection` (@custos/enforcement). */
export const connectionType = sharedSchemaTypes(builder);
