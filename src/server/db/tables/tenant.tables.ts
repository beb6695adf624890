import 'server-only';
export interface TenantTables {
  tenants: TenantTable;
}

export interface TenantTable {
  id: string;
  name: string;
  slug: string;
  created_at: number;
}
