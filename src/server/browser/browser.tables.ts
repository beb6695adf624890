export interface BrowserTables {
  browser_sessions: BrowserSessionTable;
}

export interface BrowserSessionTable {
  id: string;
  tenant_id: string;
  owner_instance_id: string;
  status: string;
  start_url: string;
  created_at: number;
  last_activity_at: number;
  idle_timeout_ms: number;
  max_lifetime_ms: number;
  closed_at: number | null;
  close_reason: string | null;
}
