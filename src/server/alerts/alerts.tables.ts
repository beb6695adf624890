export interface AlertTables {
  alert_rules: AlertRuleTable;
  notification_outbox: NotificationOutboxTable;
}

export interface AlertRuleTable {
  id: string;
  tenant_id: string;
  name: string;
  enabled: number;
  created_at: number;
}

export interface NotificationOutboxTable {
  id: string;
  status: string;
  created_at: number;
}
