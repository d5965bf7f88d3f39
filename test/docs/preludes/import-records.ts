// Prelude `import-records`: records for users.import(), as a reader of the old database built them.
declare const records: import('gatehouse').ImportRecord[];
declare const record: import('gatehouse').ImportRecord;
declare const registros: import('gatehouse').ImportRecord[];
export {};
