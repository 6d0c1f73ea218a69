import { snakeCase, SnakeNamingStrategy } from './snake-naming.strategy.js';

describe('SnakeNamingStrategy', () => {
  const strategy = new SnakeNamingStrategy();

  it('turns property names into snake_case columns', () => {
    expect(strategy.columnName('createdAtProvider', undefined, [])).toBe('created_at_provider');
    expect(strategy.columnName('vmId', undefined, [])).toBe('vm_id');
    expect(strategy.columnName('sizeGb', undefined, [])).toBe('size_gb');
    expect(strategy.columnName('name', undefined, [])).toBe('name');
    expect(strategy.columnName('id', undefined, ['lastRun'])).toBe('last_run_id');
  });

  it('keeps names given explicitly', () => {
    expect(strategy.columnName('whatever', 'custom_Name', [])).toBe('custom_Name');
    expect(strategy.tableName('VmChangeEntity', 'vm_changes')).toBe('vm_changes');
    expect(strategy.tableName('ResourceGroupEntity', undefined)).toBe('resource_group');
  });

  it('splits acronyms sensibly', () => {
    expect(snakeCase('HTTPServer')).toBe('http_server');
    expect(snakeCase('ipV4Address')).toBe('ip_v4_address');
  });
});
