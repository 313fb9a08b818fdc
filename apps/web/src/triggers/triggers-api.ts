import type {
  CreateTriggerBody,
  FiringDto,
  TriggerDto,
  TriggerWithSecretDto,
  UpdateTriggerBody,
} from '@deploybot/shared';
import { api } from '../lib/api';

/** The REST API of triggers (`/v1/triggers`): everyone signed in reads, admins change. */
export const triggersApi = {
  list: async () => (await api<{ triggers: TriggerDto[] }>('GET', '/v1/triggers')).triggers,
  firings: async (id: string, limit = 10) =>
    (await api<{ firings: FiringDto[] }>('GET', `/v1/triggers/${id}/firings?limit=${limit}`)).firings,
  create: (body: CreateTriggerBody) => api<TriggerWithSecretDto>('POST', '/v1/triggers', body),
  update: (id: string, body: UpdateTriggerBody) =>
    api<TriggerWithSecretDto>('PATCH', `/v1/triggers/${id}`, body),
  remove: (id: string) => api<null>('DELETE', `/v1/triggers/${id}`),
};
