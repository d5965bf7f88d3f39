/** gatehouse's migrations, in order, as the tests expect to find them applied (written out, not read from the code). */
export const MIGRATIONS: readonly string[] = ['0001_initial', '0002_two_factor', '0003_session_stamp', '0004_rate_limits', '0005_foreign_keys', '0006_identifiers', '0007_admin_indexes', '0008_user_search_words', '0009_sign_in', '0010_user_list_indexes', '0011_role_catalog'];
