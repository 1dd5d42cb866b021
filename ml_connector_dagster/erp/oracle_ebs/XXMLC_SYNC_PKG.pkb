CREATE OR REPLACE PACKAGE BODY XXMLC_SYNC_PKG AS
/* $Header: XXMLC_SYNC_PKG.pkb 120.5 2027/02/01 00:00:00 ml-connector-dagster ship $ */
--
-- The GET_ procedures are read-only by construction: each is one SELECT ... BULK COLLECT, with no INSERT, UPDATE,
-- DELETE, MERGE, COMMIT or DDL. (MO_GLOBAL.INIT, called for the org-striped procedures, fills its own
-- session-private temporary table; that is Oracle's API, not a write to business data.) POST_JOURNALS is the one
-- write: it inserts into GL_INTERFACE and GL_INTERFACE_CONTROL, submits Journal Import and commits; see there.
--
-- Paging: ORDER BY (change stamp, row key) with OFFSET ... FETCH NEXT, the row-limiting clause of Oracle Database
-- 12.1 and later. EBS 12.2 is certified on 11.2.0.4 too, but that release is out of Premier and Extended Support
-- and 12.2 installations have moved to 12.1.0.2 / 19c; on 11.2.0.4 this body does not compile (PLS-00103 at
-- OFFSET). We fetch P_LIMIT + 1 rows so X_HAS_MORE comes from the same query instead of a second COUNT(*).
--
-- Change stamp: the greatest LAST_UPDATE_DATE of the joined rows, so that an edit of a location, site use,
-- contact point, hierarchy relationship, order line or segment value makes the row change too. GREATEST over
-- expressions cannot use an index, so each procedure first collects the candidate keys with one branch per joined
-- table, each branch a plain range on that table's LAST_UPDATE_DATE (a stamp inside the window implies that at
-- least one joined row was updated inside the window), and computes the stamp only for those candidates. In id
-- mode the candidates are the rows of the listed ids and the window branches are switched off by the mode flag (a
-- predicate on a bind only, which the optimizer evaluates once, before touching the table).
--
-- Dates are DATE columns in database server time without a zone; they are returned as text in the same time,
-- 'YYYY-MM-DD"T"HH24:MI:SS', and the connector interprets them with its server_timezone setting.

  c_max_rows    CONSTANT PLS_INTEGER := 1000;
  c_date_format CONSTANT VARCHAR2(30) := 'YYYY-MM-DD"T"HH24:MI:SS';
  c_default_rel CONSTANT VARCHAR2(30) := 'SUBSIDIARY_OF';

  -- Our own error number, distinct from the -20001 that FND's APP_EXCEPTION uses, so that an FND error raised
  -- inside MO_GLOBAL is reported as unexpected (U) with its own text rather than mistaken for bad input.
  e_bad_input EXCEPTION;
  PRAGMA EXCEPTION_INIT(e_bad_input, -20100);

  c_gl_application CONSTANT NUMBER := 101;         -- SQLGL
  c_reference_len  CONSTANT PLS_INTEGER := 240;    -- the connector's idempotency reference of a journal
  -- GL_JE_HEADERS.EXTERNAL_REFERENCE, where Journal Import puts REFERENCE6, is VARCHAR2(80) (the width as we
  -- recall it from the EBS data model; not confirmed on an instance). So REFERENCE6 gets the reference's first 80
  -- characters and REFERENCE21, which Journal Import copies to every GL_JE_LINES.REFERENCE_1 (VARCHAR2(240)), the
  -- whole of it: a journal is the header whose EXTERNAL_REFERENCE and one of whose lines' REFERENCE_1 match.
  c_external_len   CONSTANT PLS_INTEGER := 80;
  c_max_journals   CONSTANT PLS_INTEGER := 100;
  c_rate_type      CONSTANT VARCHAR2(30) := 'Corporate';
  c_lock_name      CONSTANT VARCHAR2(128) := 'XXMLC_SYNC_PKG.POST_JOURNALS';
  c_lock_wait      CONSTANT INTEGER := 120;  -- seconds a call waits for another call's journals
  c_import_wait    CONSTANT NUMBER := 60;    -- seconds a call waits for Journal Import before it answers
  c_import_rounds  CONSTANT PLS_INTEGER := 3;

  TYPE description_cache IS TABLE OF VARCHAR2(240) INDEX BY VARCHAR2(200);

  -- What the package makes of one journal: its parsed values, then what the checks found.
  TYPE number_list IS TABLE OF NUMBER INDEX BY BINARY_INTEGER;
  TYPE journal_work IS RECORD (
    reference       VARCHAR2(240),
    accounting_date DATE,
    period_name     gl_period_statuses.period_name%TYPE,
    rate_type       VARCHAR2(30),    -- c_rate_type when the journal is not in the ledger's currency
    ccids           number_list,
    debits          number_list,
    credits         number_list,
    error_code      VARCHAR2(50),
    message         VARCHAR2(2000));

  -- A journal refused: its journal_work holds the code and the reason; caught for that journal alone.
  e_refused EXCEPTION;

  PROCEDURE bad_input (p_message IN VARCHAR2) IS
  BEGIN
    raise_application_error(-20100, p_message);
  END bad_input;

  PROCEDURE check_paging (p_offset IN NUMBER, p_limit IN NUMBER) IS
  BEGIN
    IF p_limit IS NULL OR p_limit <> TRUNC(p_limit) OR p_limit < 1 OR p_limit > c_max_rows THEN
      bad_input('P_LIMIT must be a whole number from 1 to ' || c_max_rows);
    END IF;
    IF p_offset IS NOT NULL AND (p_offset <> TRUNC(p_offset) OR p_offset < 0) THEN
      bad_input('P_OFFSET must be a whole number, 0 or more');
    END IF;
  END check_paging;

  -- The trimmed items of a comma-separated list parameter, at most p_max of them. A positional scan rather than
  -- REGEXP_SUBSTR(..., n): the n-th occurrence rescans the string from the start, which is quadratic over a list
  -- of 1000 ids.
  FUNCTION split_list (p_list IN VARCHAR2, p_name IN VARCHAR2, p_max IN PLS_INTEGER) RETURN sys.odcivarchar2list IS
    l_items sys.odcivarchar2list := sys.odcivarchar2list();
    l_start PLS_INTEGER := 1;
    l_comma PLS_INTEGER;
    l_item  VARCHAR2(32767);
  BEGIN
    IF TRIM(p_list) IS NULL THEN
      RETURN l_items;
    END IF;
    LOOP
      l_comma := INSTR(p_list, ',', l_start);
      IF l_comma = 0 THEN
        l_item := TRIM(SUBSTR(p_list, l_start));
      ELSE
        l_item := TRIM(SUBSTR(p_list, l_start, l_comma - l_start));
      END IF;
      IF l_item IS NOT NULL THEN
        IF l_items.COUNT = p_max THEN
          bad_input(p_name || ' holds more than ' || p_max || ' items');
        END IF;
        l_items.EXTEND;
        l_items(l_items.COUNT) := SUBSTR(l_item, 1, 4000);
      END IF;
      EXIT WHEN l_comma = 0;
      l_start := l_comma + 1;
    END LOOP;
    RETURN l_items;
  END split_list;

  FUNCTION like_prefix (p_prefix IN VARCHAR2) RETURN VARCHAR2 DETERMINISTIC IS
  BEGIN
    RETURN REPLACE(REPLACE(REPLACE(p_prefix, '\', '\\'), '%', '\%'), '_', '\_') || '%';
  END like_prefix;

  -- Validates the IN parameters shared by the GET_ procedures and parses the id list (P_PARTY_IDS, or the one
  -- p_ids_name names). x_mode is 'Y' when ids were given (the window is then ignored), 'A' when p_after was (the
  -- rows after it in id order, the window ignored too: the keyset of an initial load), else 'N', the window. A
  -- procedure without a window (p_window FALSE) requires the ids.
  PROCEDURE read_request (p_from       IN DATE,
                          p_to         IN DATE,
                          p_offset     IN NUMBER,
                          p_limit      IN NUMBER,
                          p_ids        IN VARCHAR2,
                          x_ids        OUT NOCOPY sys.odcinumberlist,
                          x_mode       OUT VARCHAR2,
                          p_after      IN NUMBER DEFAULT NULL,
                          p_ids_name   IN VARCHAR2 DEFAULT 'P_PARTY_IDS',
                          p_after_name IN VARCHAR2 DEFAULT 'P_AFTER_PARTY_ID',
                          p_window     IN BOOLEAN DEFAULT TRUE) IS
    l_items sys.odcivarchar2list;
  BEGIN
    check_paging(p_offset, p_limit);
    x_ids := sys.odcinumberlist();
    IF p_after IS NOT NULL THEN
      IF TRIM(p_ids) IS NOT NULL THEN
        bad_input('Give ' || p_ids_name || ' or ' || p_after_name || ', not both');
      END IF;
      IF p_after <> TRUNC(p_after) OR p_after < 0 THEN
        bad_input(p_after_name || ' must be a whole number, 0 or more');
      END IF;
      x_mode := 'A';
      RETURN;
    END IF;
    IF TRIM(p_ids) IS NULL THEN
      IF NOT p_window THEN
        bad_input(p_ids_name || ' is required');
      END IF;
      x_mode := 'N';
      IF p_from IS NULL OR p_to IS NULL THEN
        bad_input('P_LAST_UPDATE_FROM and P_LAST_UPDATE_TO are required unless ' || p_ids_name || ' is given');
      END IF;
      IF p_from >= p_to THEN
        bad_input('P_LAST_UPDATE_FROM must be before P_LAST_UPDATE_TO');
      END IF;
      RETURN;
    END IF;

    x_mode := 'Y';
    l_items := split_list(p_ids, p_ids_name, c_max_rows);
    FOR i IN 1 .. l_items.COUNT LOOP
      IF NOT REGEXP_LIKE(l_items(i), '^[0-9]{1,15}$') THEN
        bad_input(p_ids_name || ' must be comma-separated ids; "' || SUBSTR(l_items(i), 1, 40) || '" is not one');
      END IF;
      x_ids.EXTEND;
      x_ids(x_ids.COUNT) := TO_NUMBER(l_items(i));
    END LOOP;
    IF x_ids.COUNT = 0 THEN
      bad_input(p_ids_name || ' holds no id');
    END IF;
  END read_request;

  -- Operating units whose account sites / supplier sites a call may return.
  --
  -- Why the *_ALL tables with an explicit ORG_ID list rather than the MOAC-secured synonyms (HZ_CUST_ACCT_SITES,
  -- AP_SUPPLIER_SITES): the synonyms return nothing at all when the session's MO policy context is not what the
  -- code expects (the classic "no rows through the web service" support case), and their VPD predicate is invisible
  -- in the SQL. Here the security decision is made once, in plain sight, from the same source the synonyms use:
  -- MO_GLOBAL.INIT builds the operating units of the caller's responsibility from "MO: Security Profile" (or
  -- "MO: Operating Unit"), and MO_GLOBAL.CHECK_ACCESS answers from that list. So the package never returns a row of
  -- an operating unit the responsibility could not see in the forms.
  --
  -- Org_Id of the RESTHeader: ISG puts it into the session before calling us, and we read it with
  -- MO_GLOBAL.GET_CURRENT_ORG_ID *before* MO_GLOBAL.INIT, which would reset it. That ISG exposes Org_Id through
  -- the MO context (and not only through FND_GLOBAL.ORG_ID, which also carries the responsibility's default OU
  -- when no Org_Id was sent) is our reading of the ISG guides, not confirmed on an instance: the README says how
  -- to check it. Without an Org_Id every operating unit of the responsibility is read.
  FUNCTION visible_orgs (p_application IN VARCHAR2) RETURN sys.odcinumberlist IS
    l_requested NUMBER := mo_global.get_current_org_id;
    l_orgs      sys.odcinumberlist := sys.odcinumberlist();
  BEGIN
    mo_global.init(p_application);
    IF l_requested IS NOT NULL THEN
      IF NVL(mo_global.check_access(l_requested), 'N') <> 'Y' THEN
        bad_input('Org_Id ' || l_requested || ' is not an operating unit of responsibility ' ||
                  fnd_global.resp_name || ' (MO: Security Profile / MO: Operating Unit)');
      END IF;
      -- Leave the session in the single-org context ISG asked for.
      mo_global.set_policy_context('S', l_requested);
      l_orgs.EXTEND;
      l_orgs(1) := l_requested;
      RETURN l_orgs;
    END IF;
    -- CHECK_ACCESS in PL/SQL, not in the WHERE clause: the list of operating units is short, and a package
    -- function with session state is better kept out of SQL.
    FOR ou IN (SELECT organization_id FROM hr_operating_units) LOOP
      IF mo_global.check_access(ou.organization_id) = 'Y' THEN
        l_orgs.EXTEND;
        l_orgs(l_orgs.COUNT) := ou.organization_id;
      END IF;
    END LOOP;
    IF l_orgs.COUNT = 0 THEN
      bad_input('responsibility ' || fnd_global.resp_name || ' gives access to no operating unit ' ||
                '(set MO: Security Profile or MO: Operating Unit, or send Org_Id)');
    END IF;
    RETURN l_orgs;
  END visible_orgs;

  PROCEDURE succeed (x_return_status OUT VARCHAR2, x_msg_count OUT NUMBER, x_msg_data OUT VARCHAR2) IS
  BEGIN
    x_return_status := 'S';
    x_msg_count := 0;
    x_msg_data := NULL;
  END succeed;

  -- Bad input answers E with our message; anything else answers U with the Oracle error and where it happened,
  -- which is what the EBS administrator needs. Both arrive as HTTP 200 (business errors are not ISG faults).
  PROCEDURE fail (p_sqlcode IN NUMBER, p_sqlerrm IN VARCHAR2, p_backtrace IN VARCHAR2, x_has_more OUT VARCHAR2,
                  x_return_status OUT VARCHAR2, x_msg_count OUT NUMBER, x_msg_data OUT VARCHAR2) IS
  BEGIN
    x_has_more := 'N';
    x_msg_count := 1;
    IF p_sqlcode = -20100 THEN
      x_return_status := 'E';
      x_msg_data := SUBSTR(p_sqlerrm, LENGTH('ORA-20100: ') + 1, 2000);
    ELSE
      x_return_status := 'U';
      x_msg_data := SUBSTR(p_sqlerrm || ' ' || p_backtrace, 1, 2000);
    END IF;
  END fail;

  ---------------------------------------------------------------------------------------------------------------
  PROCEDURE GET_PARTIES (P_LAST_UPDATE_FROM IN DATE,
                         P_LAST_UPDATE_TO IN DATE,
                         P_OFFSET IN NUMBER,
                         P_LIMIT IN NUMBER,
                         P_PARTY_IDS IN VARCHAR2,
                         P_PARENT_REL_CODE IN VARCHAR2 DEFAULT 'SUBSIDIARY_OF',
                         P_AFTER_PARTY_ID IN NUMBER DEFAULT NULL,
                         X_ROWS OUT NOCOPY party_tbl,
                         X_HAS_MORE OUT NOCOPY VARCHAR2,
                         X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                         X_MSG_COUNT OUT NOCOPY NUMBER,
                         X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids      sys.odcinumberlist;
    l_by_party VARCHAR2(1);
    l_offset   NUMBER := NVL(P_OFFSET, 0);
    l_fetch    NUMBER := P_LIMIT + 1;
    l_code     hz_relationships.relationship_code%TYPE;
  BEGIN
    read_request(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS, l_ids, l_by_party,
                 P_AFTER_PARTY_ID);
    -- ISG binds every declared parameter, an omitted one as NULL, so the DEFAULT in the spec never applies to a
    -- REST call: the NVL does.
    IF LENGTH(P_PARENT_REL_CODE) > 30 THEN
      bad_input('P_PARENT_REL_CODE is longer than a RELATIONSHIP_CODE (30)');
    END IF;
    l_code := NVL(P_PARENT_REL_CODE, c_default_rel);

    -- The parent is the object of the forward row (subject = child). The relationship counts while it is active
    -- and not ended; a start date in the future is accepted, because nothing updates the row on the day it starts
    -- and the change would otherwise never be seen. If several are active, the latest started wins. Every forward
    -- row of the code, active or not, feeds the stamp, so that ending a relationship changes the child.
    --
    -- P_AFTER_PARTY_ID is a keyset over the primary key (the initial load): a party edited while the pages are read
    -- keeps its place, where an offset over (stamp, key) would move it behind the end and skip the party after it.
    WITH candidates AS (
      SELECT t.column_value party_id
        FROM TABLE(l_ids) t
      UNION
      SELECT party_id
        FROM (SELECT p.party_id
                FROM hz_parties p
               WHERE l_by_party = 'A' AND p.party_id > P_AFTER_PARTY_ID
                 AND p.party_type IN ('ORGANIZATION', 'PERSON')
               ORDER BY p.party_id
               FETCH FIRST l_offset + l_fetch ROWS ONLY)
      UNION
      SELECT p.party_id
        FROM hz_parties p
       WHERE l_by_party = 'N'
         AND p.last_update_date >= P_LAST_UPDATE_FROM AND p.last_update_date < P_LAST_UPDATE_TO
      UNION
      SELECT r.subject_id
        FROM hz_relationships r
       WHERE l_by_party = 'N'
         AND r.last_update_date >= P_LAST_UPDATE_FROM AND r.last_update_date < P_LAST_UPDATE_TO
         AND r.relationship_code = l_code AND r.directional_flag = 'F'
         AND r.subject_table_name = 'HZ_PARTIES' AND r.object_table_name = 'HZ_PARTIES'),
    party_rows AS (
      SELECT p.party_id, p.party_number, p.party_name, p.party_type, p.status, p.person_first_name,
             p.person_last_name, p.jgzz_fiscal_code, p.tax_reference, p.email_address, p.primary_phone_country_code,
             p.primary_phone_area_code, p.primary_phone_number, p.url, p.address1, p.address2, p.address3,
             p.address4, p.city, p.postal_code, p.state, p.province, p.country, p.object_version_number,
             p.creation_date, p.last_update_date,
             (SELECT MAX(r.object_id) KEEP (DENSE_RANK LAST ORDER BY r.start_date, r.relationship_id)
                FROM hz_relationships r
               WHERE r.subject_id = p.party_id
                 AND r.relationship_code = l_code AND r.directional_flag = 'F'
                 AND r.subject_table_name = 'HZ_PARTIES' AND r.object_table_name = 'HZ_PARTIES'
                 AND r.status = 'A' AND (r.end_date IS NULL OR r.end_date > SYSDATE)) parent_party_id,
             GREATEST(p.last_update_date,
                      NVL((SELECT MAX(r.last_update_date)
                             FROM hz_relationships r
                            WHERE r.subject_id = p.party_id
                              AND r.relationship_code = l_code AND r.directional_flag = 'F'
                              AND r.subject_table_name = 'HZ_PARTIES' AND r.object_table_name = 'HZ_PARTIES'),
                          p.last_update_date)) stamp
        FROM candidates c
        JOIN hz_parties p ON p.party_id = c.party_id
       WHERE p.party_type IN ('ORGANIZATION', 'PERSON'))
    SELECT TO_CHAR(party_id), party_number, party_name, party_type, status, person_first_name, person_last_name,
           jgzz_fiscal_code, tax_reference, email_address, primary_phone_country_code, primary_phone_area_code,
           primary_phone_number, url, address1, address2, address3, address4, city, postal_code, state, province,
           country, TO_CHAR(parent_party_id), TO_CHAR(object_version_number), TO_CHAR(creation_date, c_date_format),
           TO_CHAR(last_update_date, c_date_format)
      BULK COLLECT INTO X_ROWS
      FROM party_rows
     WHERE l_by_party IN ('Y', 'A') OR (stamp >= P_LAST_UPDATE_FROM AND stamp < P_LAST_UPDATE_TO)
     ORDER BY CASE WHEN l_by_party = 'A' THEN NULL ELSE stamp END, party_id
    OFFSET l_offset ROWS FETCH NEXT l_fetch ROWS ONLY;

    X_HAS_MORE := 'N';
    IF X_ROWS.COUNT > P_LIMIT THEN
      X_ROWS.DELETE(X_ROWS.LAST);
      X_HAS_MORE := 'Y';
    END IF;
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROWS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_PARTIES;

  ---------------------------------------------------------------------------------------------------------------
  PROCEDURE GET_CUST_ACCOUNTS (P_LAST_UPDATE_FROM IN DATE,
                               P_LAST_UPDATE_TO IN DATE,
                               P_OFFSET IN NUMBER,
                               P_LIMIT IN NUMBER,
                               P_PARTY_IDS IN VARCHAR2,
                               X_ROWS OUT NOCOPY cust_account_tbl,
                               X_HAS_MORE OUT NOCOPY VARCHAR2,
                               X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                               X_MSG_COUNT OUT NOCOPY NUMBER,
                               X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids      sys.odcinumberlist;
    l_by_party VARCHAR2(1);
    l_offset   NUMBER := NVL(P_OFFSET, 0);
    l_fetch    NUMBER := P_LIMIT + 1;
  BEGIN
    read_request(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS, l_ids, l_by_party);

    -- One table, so the stamp is its LAST_UPDATE_DATE and the candidates are already exact.
    WITH candidates AS (
      SELECT a.cust_account_id
        FROM hz_cust_accounts a
       WHERE l_by_party = 'Y' AND a.party_id IN (SELECT t.column_value FROM TABLE(l_ids) t)
      UNION
      SELECT a.cust_account_id
        FROM hz_cust_accounts a
       WHERE l_by_party = 'N'
         AND a.last_update_date >= P_LAST_UPDATE_FROM AND a.last_update_date < P_LAST_UPDATE_TO)
    SELECT TO_CHAR(a.cust_account_id), TO_CHAR(a.party_id), a.account_number, a.account_name, a.status,
           a.customer_type, a.customer_class_code, TO_CHAR(a.creation_date, c_date_format),
           TO_CHAR(a.last_update_date, c_date_format)
      BULK COLLECT INTO X_ROWS
      FROM candidates c
      JOIN hz_cust_accounts a ON a.cust_account_id = c.cust_account_id
     ORDER BY a.last_update_date, a.cust_account_id
    OFFSET l_offset ROWS FETCH NEXT l_fetch ROWS ONLY;

    X_HAS_MORE := 'N';
    IF X_ROWS.COUNT > P_LIMIT THEN
      X_ROWS.DELETE(X_ROWS.LAST);
      X_HAS_MORE := 'Y';
    END IF;
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROWS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_CUST_ACCOUNTS;

  ---------------------------------------------------------------------------------------------------------------
  PROCEDURE GET_PARTY_SITES (P_LAST_UPDATE_FROM IN DATE,
                             P_LAST_UPDATE_TO IN DATE,
                             P_OFFSET IN NUMBER,
                             P_LIMIT IN NUMBER,
                             P_PARTY_IDS IN VARCHAR2,
                             X_ROWS OUT NOCOPY party_site_tbl,
                             X_HAS_MORE OUT NOCOPY VARCHAR2,
                             X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                             X_MSG_COUNT OUT NOCOPY NUMBER,
                             X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids      sys.odcinumberlist;
    l_orgs     sys.odcinumberlist;
    l_by_party VARCHAR2(1);
    l_offset   NUMBER := NVL(P_OFFSET, 0);
    l_fetch    NUMBER := P_LIMIT + 1;
  BEGIN
    read_request(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS, l_ids, l_by_party);
    l_orgs := visible_orgs('AR');

    -- One row per party site and active account site in the visible operating units (a party site used by two
    -- accounts, or in two units, gives two rows; one with empty account-site columns when it has none), so the
    -- order adds CUST_ACCT_SITE_ID after the row key to stay total and keep offset paging stable.
    -- The stamp also takes the account sites of the party site that are no longer active: deactivating one
    -- removes it from the row, and that must count as a change of the row.
    WITH orgs AS (
      SELECT t.column_value org_id FROM TABLE(l_orgs) t),
    candidates AS (
      SELECT ps.party_site_id
        FROM hz_party_sites ps
       WHERE l_by_party = 'Y' AND ps.party_id IN (SELECT t.column_value FROM TABLE(l_ids) t)
      UNION
      SELECT ps.party_site_id
        FROM hz_party_sites ps
       WHERE l_by_party = 'N'
         AND ps.last_update_date >= P_LAST_UPDATE_FROM AND ps.last_update_date < P_LAST_UPDATE_TO
      UNION
      SELECT ps.party_site_id
        FROM hz_locations l
        JOIN hz_party_sites ps ON ps.location_id = l.location_id
       WHERE l_by_party = 'N'
         AND l.last_update_date >= P_LAST_UPDATE_FROM AND l.last_update_date < P_LAST_UPDATE_TO
      UNION
      SELECT cas.party_site_id
        FROM hz_cust_acct_sites_all cas
       WHERE l_by_party = 'N'
         AND cas.last_update_date >= P_LAST_UPDATE_FROM AND cas.last_update_date < P_LAST_UPDATE_TO
         AND cas.org_id IN (SELECT org_id FROM orgs)
      UNION
      SELECT cas.party_site_id
        FROM hz_cust_site_uses_all u
        JOIN hz_cust_acct_sites_all cas ON cas.cust_acct_site_id = u.cust_acct_site_id
       WHERE l_by_party = 'N'
         AND u.last_update_date >= P_LAST_UPDATE_FROM AND u.last_update_date < P_LAST_UPDATE_TO
         AND cas.org_id IN (SELECT org_id FROM orgs)),
    site_rows AS (
      SELECT ps.party_site_id, ps.party_id, ps.party_site_number, ps.party_site_name, ps.identifying_address_flag,
             ps.status, ps.location_id, l.address1, l.address2, l.address3, l.address4, l.city, l.postal_code,
             l.state, l.province, l.county, l.country, cas.cust_acct_site_id, cas.cust_account_id, cas.org_id,
             cas.bill_to_flag, cas.ship_to_flag,
             CASE WHEN EXISTS (SELECT 1
                                 FROM hz_cust_site_uses_all u
                                WHERE u.cust_acct_site_id = cas.cust_acct_site_id
                                  AND u.site_use_code = 'BILL_TO' AND u.primary_flag = 'Y' AND u.status = 'A')
                  THEN 'Y' ELSE 'N' END primary_bill_to_flag,
             -- Distinct codes without LISTAGG(DISTINCT ...) (19c only): keep the first use of each code.
             (SELECT LISTAGG(u.site_use_code, ',') WITHIN GROUP (ORDER BY u.site_use_code)
                FROM hz_cust_site_uses_all u
               WHERE u.cust_acct_site_id = cas.cust_acct_site_id AND u.status = 'A'
                 AND NOT EXISTS (SELECT 1
                                   FROM hz_cust_site_uses_all d
                                  WHERE d.cust_acct_site_id = u.cust_acct_site_id
                                    AND d.site_use_code = u.site_use_code AND d.status = 'A'
                                    AND d.site_use_id < u.site_use_id)) site_use_codes,
             GREATEST(ps.last_update_date, l.last_update_date,
                      NVL((SELECT MAX(a.last_update_date)
                             FROM hz_cust_acct_sites_all a
                            WHERE a.party_site_id = ps.party_site_id
                              AND a.org_id IN (SELECT org_id FROM orgs)), ps.last_update_date),
                      NVL((SELECT MAX(u.last_update_date)
                             FROM hz_cust_site_uses_all u
                            WHERE u.cust_acct_site_id = cas.cust_acct_site_id), ps.last_update_date)) stamp
        FROM candidates c
        JOIN hz_party_sites ps ON ps.party_site_id = c.party_site_id
        JOIN hz_locations l ON l.location_id = ps.location_id
        -- Filtered in an inline view rather than in the ON clause: an outer join to an IN-subquery is refused
        -- by some database releases (ORA-01799).
        LEFT JOIN (SELECT a.cust_acct_site_id, a.cust_account_id, a.party_site_id, a.org_id, a.bill_to_flag,
                          a.ship_to_flag
                     FROM hz_cust_acct_sites_all a
                    WHERE a.status = 'A' AND a.org_id IN (SELECT org_id FROM orgs)) cas
          ON cas.party_site_id = ps.party_site_id)
    SELECT TO_CHAR(party_site_id), TO_CHAR(party_id), party_site_number, party_site_name, identifying_address_flag,
           status, TO_CHAR(location_id), address1, address2, address3, address4, city, postal_code, state,
           province, county, country, TO_CHAR(cust_acct_site_id), TO_CHAR(cust_account_id), TO_CHAR(org_id),
           bill_to_flag, ship_to_flag, primary_bill_to_flag, site_use_codes, TO_CHAR(stamp, c_date_format)
      BULK COLLECT INTO X_ROWS
      FROM site_rows
     WHERE l_by_party = 'Y' OR (stamp >= P_LAST_UPDATE_FROM AND stamp < P_LAST_UPDATE_TO)
     ORDER BY stamp, party_site_id, cust_acct_site_id NULLS FIRST
    OFFSET l_offset ROWS FETCH NEXT l_fetch ROWS ONLY;

    X_HAS_MORE := 'N';
    IF X_ROWS.COUNT > P_LIMIT THEN
      X_ROWS.DELETE(X_ROWS.LAST);
      X_HAS_MORE := 'Y';
    END IF;
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROWS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_PARTY_SITES;

  ---------------------------------------------------------------------------------------------------------------
  PROCEDURE GET_CONTACTS (P_LAST_UPDATE_FROM IN DATE,
                          P_LAST_UPDATE_TO IN DATE,
                          P_OFFSET IN NUMBER,
                          P_LIMIT IN NUMBER,
                          P_PARTY_IDS IN VARCHAR2,
                          X_ROWS OUT NOCOPY contact_tbl,
                          X_HAS_MORE OUT NOCOPY VARCHAR2,
                          X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                          X_MSG_COUNT OUT NOCOPY NUMBER,
                          X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids      sys.odcinumberlist;
    l_by_party VARCHAR2(1);
    l_offset   NUMBER := NVL(P_OFFSET, 0);
    l_fetch    NUMBER := P_LIMIT + 1;
  BEGIN
    read_request(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS, l_ids, l_by_party);

    -- TCA stores each relationship twice (forward and backward row, same RELATIONSHIP_ID); the forward CONTACT_OF
    -- row has the person as subject and the organization as object. The contact's email and phones hang off the
    -- relationship's own party (HZ_RELATIONSHIPS.PARTY_ID), not off the person, because the same person can be a
    -- contact of several organizations with different work details. A relationship whose END_DATE falls in the
    -- window is returned too: it stops being a contact that day without anyone editing it, and the connector must
    -- see it in that day's run. STATUS leaves the end date out: the connector judges it, against this server's
    -- time as the HTTP Date header of the answer gives it, the same for suppliers and contacts.
    WITH candidates AS (
      SELECT r.relationship_id
        FROM hz_relationships r
       WHERE l_by_party = 'Y' AND r.object_id IN (SELECT t.column_value FROM TABLE(l_ids) t)
         AND r.relationship_code = 'CONTACT_OF' AND r.directional_flag = 'F'
         AND r.subject_table_name = 'HZ_PARTIES' AND r.object_table_name = 'HZ_PARTIES'
      UNION
      SELECT r.relationship_id
        FROM hz_relationships r
       WHERE l_by_party = 'N'
         AND r.last_update_date >= P_LAST_UPDATE_FROM AND r.last_update_date < P_LAST_UPDATE_TO
         AND r.relationship_code = 'CONTACT_OF' AND r.directional_flag = 'F'
         AND r.subject_table_name = 'HZ_PARTIES' AND r.object_table_name = 'HZ_PARTIES'
      UNION
      SELECT r.relationship_id
        FROM hz_relationships r
       WHERE l_by_party = 'N'
         AND r.end_date >= P_LAST_UPDATE_FROM AND r.end_date < P_LAST_UPDATE_TO
         AND r.relationship_code = 'CONTACT_OF' AND r.directional_flag = 'F'
         AND r.subject_table_name = 'HZ_PARTIES' AND r.object_table_name = 'HZ_PARTIES'
      UNION
      SELECT r.relationship_id
        FROM hz_parties per
        JOIN hz_relationships r ON r.subject_id = per.party_id
       WHERE l_by_party = 'N'
         AND per.last_update_date >= P_LAST_UPDATE_FROM AND per.last_update_date < P_LAST_UPDATE_TO
         AND r.relationship_code = 'CONTACT_OF' AND r.directional_flag = 'F'
         AND r.subject_table_name = 'HZ_PARTIES' AND r.object_table_name = 'HZ_PARTIES'
      UNION
      SELECT oc.party_relationship_id
        FROM hz_org_contacts oc
       WHERE l_by_party = 'N'
         AND oc.last_update_date >= P_LAST_UPDATE_FROM AND oc.last_update_date < P_LAST_UPDATE_TO
      UNION
      SELECT r.relationship_id
        FROM hz_contact_points cp
        JOIN hz_relationships r ON r.party_id = cp.owner_table_id
       WHERE l_by_party = 'N'
         AND cp.last_update_date >= P_LAST_UPDATE_FROM AND cp.last_update_date < P_LAST_UPDATE_TO
         AND cp.owner_table_name = 'HZ_PARTIES'
         AND r.relationship_code = 'CONTACT_OF' AND r.directional_flag = 'F'
         AND r.subject_table_name = 'HZ_PARTIES' AND r.object_table_name = 'HZ_PARTIES'),
    contact_rows AS (
      SELECT r.relationship_id, r.party_id rel_party_id, r.subject_id contact_party_id, r.object_id org_party_id,
             oc.org_contact_id, oc.contact_number, per.person_first_name, per.person_last_name, oc.job_title,
             oc.department,
             -- The primary active point of each kind; if data has several primaries, the oldest one.
             (SELECT MIN(cp.email_address) KEEP (DENSE_RANK FIRST ORDER BY cp.contact_point_id)
                FROM hz_contact_points cp
               WHERE cp.owner_table_name = 'HZ_PARTIES' AND cp.owner_table_id = r.party_id
                 AND cp.contact_point_type = 'EMAIL' AND cp.primary_flag = 'Y' AND cp.status = 'A') email_address,
             (SELECT MIN(TRIM(NVL2(cp.phone_country_code, '+' || cp.phone_country_code || ' ', NULL)
                              || NVL2(cp.phone_area_code, cp.phone_area_code || ' ', NULL)
                              || cp.phone_number))
                     KEEP (DENSE_RANK FIRST ORDER BY cp.contact_point_id)
                FROM hz_contact_points cp
               WHERE cp.owner_table_name = 'HZ_PARTIES' AND cp.owner_table_id = r.party_id
                 AND cp.contact_point_type = 'PHONE' AND cp.phone_line_type = 'GEN'
                 AND cp.primary_flag = 'Y' AND cp.status = 'A') phone_number,
             (SELECT MIN(TRIM(NVL2(cp.phone_country_code, '+' || cp.phone_country_code || ' ', NULL)
                              || NVL2(cp.phone_area_code, cp.phone_area_code || ' ', NULL)
                              || cp.phone_number))
                     KEEP (DENSE_RANK FIRST ORDER BY cp.contact_point_id)
                FROM hz_contact_points cp
               WHERE cp.owner_table_name = 'HZ_PARTIES' AND cp.owner_table_id = r.party_id
                 AND cp.contact_point_type = 'PHONE' AND cp.phone_line_type = 'MOBILE'
                 AND cp.primary_flag = 'Y' AND cp.status = 'A') mobile_number,
             CASE WHEN r.status = 'A' AND oc.status = 'A' THEN 'A' ELSE 'I' END status, r.end_date,
             GREATEST(r.last_update_date, per.last_update_date, oc.last_update_date,
                      NVL((SELECT MAX(cp.last_update_date)
                             FROM hz_contact_points cp
                            WHERE cp.owner_table_name = 'HZ_PARTIES' AND cp.owner_table_id = r.party_id),
                          r.last_update_date)) stamp
        FROM candidates c
        JOIN hz_relationships r
          ON r.relationship_id = c.relationship_id AND r.directional_flag = 'F'
         AND r.relationship_code = 'CONTACT_OF'
         AND r.subject_table_name = 'HZ_PARTIES' AND r.object_table_name = 'HZ_PARTIES'
        JOIN hz_parties per ON per.party_id = r.subject_id
        JOIN hz_org_contacts oc ON oc.party_relationship_id = r.relationship_id)
    SELECT TO_CHAR(relationship_id), TO_CHAR(rel_party_id), TO_CHAR(contact_party_id), TO_CHAR(org_party_id),
           TO_CHAR(org_contact_id), contact_number, person_first_name, person_last_name, job_title, department,
           email_address, phone_number, mobile_number, status, TO_CHAR(end_date, c_date_format),
           TO_CHAR(stamp, c_date_format)
      BULK COLLECT INTO X_ROWS
      FROM contact_rows
     WHERE l_by_party = 'Y' OR (stamp >= P_LAST_UPDATE_FROM AND stamp < P_LAST_UPDATE_TO)
        OR (end_date >= P_LAST_UPDATE_FROM AND end_date < P_LAST_UPDATE_TO)
     ORDER BY stamp, relationship_id
    OFFSET l_offset ROWS FETCH NEXT l_fetch ROWS ONLY;

    X_HAS_MORE := 'N';
    IF X_ROWS.COUNT > P_LIMIT THEN
      X_ROWS.DELETE(X_ROWS.LAST);
      X_HAS_MORE := 'Y';
    END IF;
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROWS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_CONTACTS;

  ---------------------------------------------------------------------------------------------------------------
  PROCEDURE GET_VENDORS (P_LAST_UPDATE_FROM IN DATE,
                         P_LAST_UPDATE_TO IN DATE,
                         P_OFFSET IN NUMBER,
                         P_LIMIT IN NUMBER,
                         P_PARTY_IDS IN VARCHAR2,
                         X_ROWS OUT NOCOPY vendor_tbl,
                         X_HAS_MORE OUT NOCOPY VARCHAR2,
                         X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                         X_MSG_COUNT OUT NOCOPY NUMBER,
                         X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids      sys.odcinumberlist;
    l_by_party VARCHAR2(1);
    l_offset   NUMBER := NVL(P_OFFSET, 0);
    l_fetch    NUMBER := P_LIMIT + 1;
  BEGIN
    read_request(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS, l_ids, l_by_party);

    -- AP_SUPPLIERS, the R12 base table behind the PO_VENDORS view, is not org-striped. The parent supplier's
    -- PARTY_ID is returned so the connector can link the hierarchy without reading the parent. A supplier whose
    -- END_DATE_ACTIVE falls in the window is returned too: it stops being active that day without anyone
    -- editing it, and the connector must see it in that day's run.
    WITH candidates AS (
      SELECT s.vendor_id
        FROM ap_suppliers s
       WHERE l_by_party = 'Y' AND s.party_id IN (SELECT t.column_value FROM TABLE(l_ids) t)
      UNION
      SELECT s.vendor_id
        FROM ap_suppliers s
       WHERE l_by_party = 'N'
         AND s.last_update_date >= P_LAST_UPDATE_FROM AND s.last_update_date < P_LAST_UPDATE_TO
      UNION
      SELECT s.vendor_id
        FROM ap_suppliers s
       WHERE l_by_party = 'N'
         AND s.end_date_active >= P_LAST_UPDATE_FROM AND s.end_date_active < P_LAST_UPDATE_TO)
    SELECT TO_CHAR(s.vendor_id), s.segment1, s.vendor_name, s.vendor_name_alt, s.vendor_type_lookup_code,
           TO_CHAR(s.party_id), s.num_1099, s.vat_registration_num, s.enabled_flag,
           TO_CHAR(s.start_date_active, c_date_format), TO_CHAR(s.end_date_active, c_date_format),
           TO_CHAR(s.parent_vendor_id), TO_CHAR(parent.party_id), TO_CHAR(s.terms_id),
           TO_CHAR(s.creation_date, c_date_format), TO_CHAR(s.last_update_date, c_date_format)
      BULK COLLECT INTO X_ROWS
      FROM candidates c
      JOIN ap_suppliers s ON s.vendor_id = c.vendor_id
      LEFT JOIN ap_suppliers parent ON parent.vendor_id = s.parent_vendor_id
     ORDER BY s.last_update_date, s.vendor_id
    OFFSET l_offset ROWS FETCH NEXT l_fetch ROWS ONLY;

    X_HAS_MORE := 'N';
    IF X_ROWS.COUNT > P_LIMIT THEN
      X_ROWS.DELETE(X_ROWS.LAST);
      X_HAS_MORE := 'Y';
    END IF;
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROWS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_VENDORS;

  ---------------------------------------------------------------------------------------------------------------
  PROCEDURE GET_VENDOR_SITES (P_LAST_UPDATE_FROM IN DATE,
                              P_LAST_UPDATE_TO IN DATE,
                              P_OFFSET IN NUMBER,
                              P_LIMIT IN NUMBER,
                              P_PARTY_IDS IN VARCHAR2,
                              X_ROWS OUT NOCOPY vendor_site_tbl,
                              X_HAS_MORE OUT NOCOPY VARCHAR2,
                              X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                              X_MSG_COUNT OUT NOCOPY NUMBER,
                              X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids      sys.odcinumberlist;
    l_orgs     sys.odcinumberlist;
    l_by_party VARCHAR2(1);
    l_offset   NUMBER := NVL(P_OFFSET, 0);
    l_fetch    NUMBER := P_LIMIT + 1;
  BEGIN
    read_request(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS, l_ids, l_by_party);
    -- Payables' MOAC setup, not Receivables': the responsibility's security profile is read for SQLAP.
    l_orgs := visible_orgs('SQLAP');

    WITH orgs AS (
      SELECT t.column_value org_id FROM TABLE(l_orgs) t),
    candidates AS (
      SELECT ss.vendor_site_id
        FROM ap_suppliers s
        JOIN ap_supplier_sites_all ss ON ss.vendor_id = s.vendor_id
       WHERE l_by_party = 'Y' AND s.party_id IN (SELECT t.column_value FROM TABLE(l_ids) t)
         AND ss.org_id IN (SELECT org_id FROM orgs)
      UNION
      SELECT ss.vendor_site_id
        FROM ap_supplier_sites_all ss
       WHERE l_by_party = 'N'
         AND ss.last_update_date >= P_LAST_UPDATE_FROM AND ss.last_update_date < P_LAST_UPDATE_TO
         AND ss.org_id IN (SELECT org_id FROM orgs)
      UNION
      -- a site whose INACTIVE_DATE falls in the window stops being a pay site that day, unedited
      SELECT ss.vendor_site_id
        FROM ap_supplier_sites_all ss
       WHERE l_by_party = 'N'
         AND ss.inactive_date >= P_LAST_UPDATE_FROM AND ss.inactive_date < P_LAST_UPDATE_TO
         AND ss.org_id IN (SELECT org_id FROM orgs))
    SELECT TO_CHAR(ss.vendor_site_id), TO_CHAR(ss.vendor_id), TO_CHAR(s.party_id), ss.vendor_site_code,
           TO_CHAR(ss.org_id), ss.address_line1, ss.address_line2, ss.address_line3, ss.address_line4, ss.city,
           ss.state, ss.zip, ss.province, ss.country, ss.pay_site_flag, ss.purchasing_site_flag,
           ss.primary_pay_site_flag, TO_CHAR(ss.inactive_date, c_date_format), ss.email_address, ss.area_code,
           ss.phone, TO_CHAR(ss.last_update_date, c_date_format)
      BULK COLLECT INTO X_ROWS
      FROM candidates c
      JOIN ap_supplier_sites_all ss ON ss.vendor_site_id = c.vendor_site_id
      JOIN ap_suppliers s ON s.vendor_id = ss.vendor_id
     ORDER BY ss.last_update_date, ss.vendor_site_id
    OFFSET l_offset ROWS FETCH NEXT l_fetch ROWS ONLY;

    X_HAS_MORE := 'N';
    IF X_ROWS.COUNT > P_LIMIT THEN
      X_ROWS.DELETE(X_ROWS.LAST);
      X_HAS_MORE := 'Y';
    END IF;
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROWS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_VENDOR_SITES;

  ---------------------------------------------------------------------------------------------------------------
  -- General Ledger and Purchasing
  ---------------------------------------------------------------------------------------------------------------

  -- The description of a segment value in the value set the chart's structure validates that segment with,
  -- remembered for the call (a page asks for the same few values again and again). MIN: a dependent value set
  -- can hold a value under several parents; one of their descriptions is answered.
  FUNCTION segment_description (p_chart  IN NUMBER,
                                p_column IN VARCHAR2,
                                p_value  IN VARCHAR2,
                                x_cache  IN OUT NOCOPY description_cache) RETURN VARCHAR2 IS
    l_key         VARCHAR2(200) := p_chart || ':' || p_column || ':' || SUBSTR(p_value, 1, 150);
    l_description fnd_flex_values_vl.description%TYPE;
  BEGIN
    IF p_value IS NULL THEN
      RETURN NULL;
    END IF;
    IF NOT x_cache.EXISTS(l_key) THEN
      SELECT MIN(v.description)
        INTO l_description
        FROM fnd_id_flex_segments s
        JOIN fnd_flex_values_vl v ON v.flex_value_set_id = s.flex_value_set_id
       WHERE s.application_id = c_gl_application AND s.id_flex_code = 'GL#' AND s.id_flex_num = p_chart
         AND s.application_column_name = p_column AND v.flex_value = p_value;
      x_cache(l_key) := l_description;
    END IF;
    RETURN x_cache(l_key);
  END segment_description;

  ---------------------------------------------------------------------------------------------------------------
  PROCEDURE GET_CODE_COMBINATIONS (P_LAST_UPDATE_FROM IN DATE,
                                   P_LAST_UPDATE_TO IN DATE,
                                   P_OFFSET IN NUMBER,
                                   P_LIMIT IN NUMBER,
                                   P_CCIDS IN VARCHAR2,
                                   P_AFTER_CCID IN NUMBER DEFAULT NULL,
                                   P_LEDGER_ID IN NUMBER DEFAULT NULL,
                                   X_ROWS OUT NOCOPY code_combination_tbl,
                                   X_HAS_MORE OUT NOCOPY VARCHAR2,
                                   X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                                   X_MSG_COUNT OUT NOCOPY NUMBER,
                                   X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids    sys.odcinumberlist;
    l_mode   VARCHAR2(1);
    l_offset NUMBER := NVL(P_OFFSET, 0);
    l_fetch  NUMBER := P_LIMIT + 1;
    l_chart  gl_ledgers.chart_of_accounts_id%TYPE;
    l_coa    NUMBER;
    l_cache  description_cache;
  BEGIN
    read_request(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_CCIDS, l_ids, l_mode, P_AFTER_CCID,
                 'P_CCIDS', 'P_AFTER_CCID');
    IF P_LEDGER_ID IS NOT NULL THEN
      BEGIN
        SELECT chart_of_accounts_id INTO l_chart FROM gl_ledgers WHERE ledger_id = P_LEDGER_ID;
      EXCEPTION
        WHEN NO_DATA_FOUND THEN
          bad_input('P_LEDGER_ID ' || P_LEDGER_ID || ' is not a ledger');
      END;
    END IF;

    -- A combination changes when it is edited, and when the description of one of its segment values is (guess:
    -- the Values form stamps the value's FND_FLEX_VALUES row when only its description changes). The CASE maps
    -- each segment of the chart's structure to its column; it cannot use the indexes on SEGMENTn, so that branch
    -- scans the chart's combinations, but only when a value of the chart changed in the window (a hash join
    -- stops when its build side, the changed values, is empty). A combination whose END_DATE_ACTIVE falls in the
    -- window is returned too: it stops being usable that day without anyone editing it.
    WITH chart_segments AS (
      SELECT s.id_flex_num, s.application_column_name, s.flex_value_set_id
        FROM fnd_id_flex_segments s
       WHERE s.application_id = c_gl_application AND s.id_flex_code = 'GL#' AND s.enabled_flag = 'Y'
         AND (l_chart IS NULL OR s.id_flex_num = l_chart)),
    candidates AS (
      SELECT t.column_value code_combination_id
        FROM TABLE(l_ids) t
      UNION
      SELECT code_combination_id
        FROM (SELECT cc.code_combination_id
                FROM gl_code_combinations cc
               WHERE l_mode = 'A' AND cc.code_combination_id > P_AFTER_CCID
                 AND (l_chart IS NULL OR cc.chart_of_accounts_id = l_chart)
               ORDER BY cc.code_combination_id
               FETCH FIRST l_offset + l_fetch ROWS ONLY)
      UNION
      SELECT cc.code_combination_id
        FROM gl_code_combinations cc
       WHERE l_mode = 'N'
         AND cc.last_update_date >= P_LAST_UPDATE_FROM AND cc.last_update_date < P_LAST_UPDATE_TO
      UNION
      SELECT cc.code_combination_id
        FROM gl_code_combinations cc
       WHERE l_mode = 'N'
         AND cc.end_date_active >= P_LAST_UPDATE_FROM AND cc.end_date_active < P_LAST_UPDATE_TO
      UNION
      SELECT cc.code_combination_id
        FROM fnd_flex_values v
        JOIN chart_segments s ON s.flex_value_set_id = v.flex_value_set_id
        JOIN gl_code_combinations cc
          ON cc.chart_of_accounts_id = s.id_flex_num
         AND v.flex_value = DECODE(s.application_column_name,
               'SEGMENT1', cc.segment1, 'SEGMENT2', cc.segment2, 'SEGMENT3', cc.segment3, 'SEGMENT4', cc.segment4,
               'SEGMENT5', cc.segment5, 'SEGMENT6', cc.segment6, 'SEGMENT7', cc.segment7, 'SEGMENT8', cc.segment8,
               'SEGMENT9', cc.segment9, 'SEGMENT10', cc.segment10, 'SEGMENT11', cc.segment11,
               'SEGMENT12', cc.segment12, 'SEGMENT13', cc.segment13, 'SEGMENT14', cc.segment14,
               'SEGMENT15', cc.segment15, 'SEGMENT16', cc.segment16, 'SEGMENT17', cc.segment17,
               'SEGMENT18', cc.segment18, 'SEGMENT19', cc.segment19, 'SEGMENT20', cc.segment20,
               'SEGMENT21', cc.segment21, 'SEGMENT22', cc.segment22, 'SEGMENT23', cc.segment23,
               'SEGMENT24', cc.segment24, 'SEGMENT25', cc.segment25, 'SEGMENT26', cc.segment26,
               'SEGMENT27', cc.segment27, 'SEGMENT28', cc.segment28, 'SEGMENT29', cc.segment29,
               'SEGMENT30', cc.segment30)
       WHERE l_mode = 'N'
         AND v.last_update_date >= P_LAST_UPDATE_FROM AND v.last_update_date < P_LAST_UPDATE_TO),
    combination_rows AS (
      SELECT k.code_combination_id, k.chart_of_accounts_id, k.segment1, k.segment2, k.segment3, k.segment4,
             k.segment5, k.segment6, k.segment7, k.segment8, k.segment9, k.segment10, k.concatenated_segments,
             k.account_type, k.enabled_flag, k.summary_flag, k.detail_posting_allowed_flag, k.start_date_active,
             k.end_date_active,
             GREATEST(k.last_update_date,
                      NVL((SELECT MAX(v.last_update_date)
                             FROM chart_segments s
                             JOIN fnd_flex_values v ON v.flex_value_set_id = s.flex_value_set_id
                            WHERE s.id_flex_num = k.chart_of_accounts_id
                              AND v.flex_value = DECODE(s.application_column_name,
                                    'SEGMENT1', k.segment1, 'SEGMENT2', k.segment2, 'SEGMENT3', k.segment3,
                                    'SEGMENT4', k.segment4, 'SEGMENT5', k.segment5, 'SEGMENT6', k.segment6,
                                    'SEGMENT7', k.segment7, 'SEGMENT8', k.segment8, 'SEGMENT9', k.segment9,
                                    'SEGMENT10', k.segment10, 'SEGMENT11', k.segment11, 'SEGMENT12', k.segment12,
                                    'SEGMENT13', k.segment13, 'SEGMENT14', k.segment14, 'SEGMENT15', k.segment15,
                                    'SEGMENT16', k.segment16, 'SEGMENT17', k.segment17, 'SEGMENT18', k.segment18,
                                    'SEGMENT19', k.segment19, 'SEGMENT20', k.segment20, 'SEGMENT21', k.segment21,
                                    'SEGMENT22', k.segment22, 'SEGMENT23', k.segment23, 'SEGMENT24', k.segment24,
                                    'SEGMENT25', k.segment25, 'SEGMENT26', k.segment26, 'SEGMENT27', k.segment27,
                                    'SEGMENT28', k.segment28, 'SEGMENT29', k.segment29, 'SEGMENT30', k.segment30)),
                          k.last_update_date)) stamp
        FROM candidates c
        JOIN gl_code_combinations_kfv k ON k.code_combination_id = c.code_combination_id
       WHERE l_chart IS NULL OR k.chart_of_accounts_id = l_chart)
    SELECT TO_CHAR(code_combination_id), TO_CHAR(chart_of_accounts_id), segment1, segment2, segment3, segment4,
           segment5, segment6, segment7, segment8, segment9, segment10, concatenated_segments,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,  -- SEGMENT1_DESC .. SEGMENT10_DESC, below
           account_type, enabled_flag, summary_flag, detail_posting_allowed_flag,
           TO_CHAR(start_date_active, c_date_format), TO_CHAR(end_date_active, c_date_format),
           TO_CHAR(stamp, c_date_format)
      BULK COLLECT INTO X_ROWS
      FROM combination_rows
     WHERE l_mode IN ('Y', 'A') OR (stamp >= P_LAST_UPDATE_FROM AND stamp < P_LAST_UPDATE_TO)
        OR (end_date_active >= P_LAST_UPDATE_FROM AND end_date_active < P_LAST_UPDATE_TO)
     ORDER BY CASE WHEN l_mode = 'A' THEN NULL ELSE stamp END, code_combination_id
    OFFSET l_offset ROWS FETCH NEXT l_fetch ROWS ONLY;

    X_HAS_MORE := 'N';
    IF X_ROWS.COUNT > P_LIMIT THEN
      X_ROWS.DELETE(X_ROWS.LAST);
      X_HAS_MORE := 'Y';
    END IF;
    FOR i IN 1 .. X_ROWS.COUNT LOOP
      l_coa := TO_NUMBER(X_ROWS(i).CHART_OF_ACCOUNTS_ID);
      X_ROWS(i).SEGMENT1_DESC := segment_description(l_coa, 'SEGMENT1', X_ROWS(i).SEGMENT1, l_cache);
      X_ROWS(i).SEGMENT2_DESC := segment_description(l_coa, 'SEGMENT2', X_ROWS(i).SEGMENT2, l_cache);
      X_ROWS(i).SEGMENT3_DESC := segment_description(l_coa, 'SEGMENT3', X_ROWS(i).SEGMENT3, l_cache);
      X_ROWS(i).SEGMENT4_DESC := segment_description(l_coa, 'SEGMENT4', X_ROWS(i).SEGMENT4, l_cache);
      X_ROWS(i).SEGMENT5_DESC := segment_description(l_coa, 'SEGMENT5', X_ROWS(i).SEGMENT5, l_cache);
      X_ROWS(i).SEGMENT6_DESC := segment_description(l_coa, 'SEGMENT6', X_ROWS(i).SEGMENT6, l_cache);
      X_ROWS(i).SEGMENT7_DESC := segment_description(l_coa, 'SEGMENT7', X_ROWS(i).SEGMENT7, l_cache);
      X_ROWS(i).SEGMENT8_DESC := segment_description(l_coa, 'SEGMENT8', X_ROWS(i).SEGMENT8, l_cache);
      X_ROWS(i).SEGMENT9_DESC := segment_description(l_coa, 'SEGMENT9', X_ROWS(i).SEGMENT9, l_cache);
      X_ROWS(i).SEGMENT10_DESC := segment_description(l_coa, 'SEGMENT10', X_ROWS(i).SEGMENT10, l_cache);
    END LOOP;
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROWS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_CODE_COMBINATIONS;

  ---------------------------------------------------------------------------------------------------------------
  PROCEDURE GET_PURCHASE_ORDERS (P_LAST_UPDATE_FROM IN DATE,
                                 P_LAST_UPDATE_TO IN DATE,
                                 P_OFFSET IN NUMBER,
                                 P_LIMIT IN NUMBER,
                                 P_PO_HEADER_IDS IN VARCHAR2,
                                 P_AFTER_PO_HEADER_ID IN NUMBER DEFAULT NULL,
                                 X_ROWS OUT NOCOPY purchase_order_tbl,
                                 X_HAS_MORE OUT NOCOPY VARCHAR2,
                                 X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                                 X_MSG_COUNT OUT NOCOPY NUMBER,
                                 X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids    sys.odcinumberlist;
    l_orgs   sys.odcinumberlist;
    l_mode   VARCHAR2(1);
    l_offset NUMBER := NVL(P_OFFSET, 0);
    l_fetch  NUMBER := P_LIMIT + 1;
  BEGIN
    read_request(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PO_HEADER_IDS, l_ids, l_mode,
                 P_AFTER_PO_HEADER_ID, 'P_PO_HEADER_IDS', 'P_AFTER_PO_HEADER_ID');
    -- Purchasing's MOAC setup: the responsibility's security profile is read for PO.
    l_orgs := visible_orgs('PO');

    -- An order changes when its header, a line or a distribution does (a price, a quantity, a charge account).
    -- PO_HEADERS_ALL also holds RFQs and quotations, which are not orders.
    WITH orgs AS (
      SELECT t.column_value org_id FROM TABLE(l_orgs) t),
    candidates AS (
      SELECT t.column_value po_header_id
        FROM TABLE(l_ids) t
      UNION
      SELECT po_header_id
        FROM (SELECT h.po_header_id
                FROM po_headers_all h
               WHERE l_mode = 'A' AND h.po_header_id > P_AFTER_PO_HEADER_ID
                 AND h.type_lookup_code IN ('STANDARD', 'BLANKET', 'CONTRACT', 'PLANNED')
                 AND h.org_id IN (SELECT org_id FROM orgs)
               ORDER BY h.po_header_id
               FETCH FIRST l_offset + l_fetch ROWS ONLY)
      UNION
      SELECT h.po_header_id
        FROM po_headers_all h
       WHERE l_mode = 'N'
         AND h.last_update_date >= P_LAST_UPDATE_FROM AND h.last_update_date < P_LAST_UPDATE_TO
      UNION
      SELECT l.po_header_id
        FROM po_lines_all l
       WHERE l_mode = 'N'
         AND l.last_update_date >= P_LAST_UPDATE_FROM AND l.last_update_date < P_LAST_UPDATE_TO
      UNION
      SELECT d.po_header_id
        FROM po_distributions_all d
       WHERE l_mode = 'N'
         AND d.last_update_date >= P_LAST_UPDATE_FROM AND d.last_update_date < P_LAST_UPDATE_TO),
    order_rows AS (
      SELECT h.*,
             GREATEST(h.last_update_date,
                      NVL((SELECT MAX(l.last_update_date) FROM po_lines_all l WHERE l.po_header_id = h.po_header_id),
                          h.last_update_date),
                      NVL((SELECT MAX(d.last_update_date)
                             FROM po_distributions_all d
                            WHERE d.po_header_id = h.po_header_id),
                          h.last_update_date)) stamp
        FROM candidates c
        JOIN po_headers_all h ON h.po_header_id = c.po_header_id
       WHERE h.type_lookup_code IN ('STANDARD', 'BLANKET', 'CONTRACT', 'PLANNED')
         AND h.org_id IN (SELECT org_id FROM orgs))
    SELECT TO_CHAR(po_header_id), segment1, type_lookup_code, TO_CHAR(vendor_id), TO_CHAR(vendor_site_id),
           TO_CHAR(org_id), currency_code, authorization_status, approved_flag,
           TO_CHAR(approved_date, c_date_format), closed_code, cancel_flag, comments, attribute1, attribute2,
           attribute3, attribute4, attribute5, TO_CHAR(creation_date, c_date_format), TO_CHAR(stamp, c_date_format)
      BULK COLLECT INTO X_ROWS
      FROM order_rows
     WHERE l_mode IN ('Y', 'A') OR (stamp >= P_LAST_UPDATE_FROM AND stamp < P_LAST_UPDATE_TO)
     ORDER BY CASE WHEN l_mode = 'A' THEN NULL ELSE stamp END, po_header_id
    OFFSET l_offset ROWS FETCH NEXT l_fetch ROWS ONLY;

    X_HAS_MORE := 'N';
    IF X_ROWS.COUNT > P_LIMIT THEN
      X_ROWS.DELETE(X_ROWS.LAST);
      X_HAS_MORE := 'Y';
    END IF;
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROWS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_PURCHASE_ORDERS;

  ---------------------------------------------------------------------------------------------------------------
  PROCEDURE GET_PO_DISTRIBUTIONS (P_OFFSET IN NUMBER,
                                  P_LIMIT IN NUMBER,
                                  P_PO_HEADER_IDS IN VARCHAR2,
                                  X_ROWS OUT NOCOPY po_distribution_tbl,
                                  X_HAS_MORE OUT NOCOPY VARCHAR2,
                                  X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                                  X_MSG_COUNT OUT NOCOPY NUMBER,
                                  X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids    sys.odcinumberlist;
    l_orgs   sys.odcinumberlist;
    l_mode   VARCHAR2(1);
    l_offset NUMBER := NVL(P_OFFSET, 0);
    l_fetch  NUMBER := P_LIMIT + 1;
  BEGIN
    read_request(NULL, NULL, P_OFFSET, P_LIMIT, P_PO_HEADER_IDS, l_ids, l_mode, NULL, 'P_PO_HEADER_IDS',
                 p_window => FALSE);
    l_orgs := visible_orgs('PO');

    SELECT TO_CHAR(d.po_header_id), TO_CHAR(d.po_line_id), TO_CHAR(l.line_num), l.item_description,
           l.unit_meas_lookup_code, TO_CHAR(l.unit_price), l.cancel_flag, TO_CHAR(d.po_distribution_id),
           TO_CHAR(d.distribution_num), TO_CHAR(d.quantity_ordered), TO_CHAR(d.quantity_cancelled),
           TO_CHAR(d.code_combination_id), cc.segment1, cc.segment2, cc.segment3, cc.segment4, cc.segment5,
           cc.segment6, cc.segment7, cc.segment8, cc.segment9, cc.segment10,
           TO_CHAR(GREATEST(l.last_update_date, d.last_update_date), c_date_format)
      BULK COLLECT INTO X_ROWS
      FROM po_distributions_all d
      JOIN po_lines_all l ON l.po_line_id = d.po_line_id
      JOIN po_headers_all h ON h.po_header_id = d.po_header_id
      LEFT JOIN gl_code_combinations cc ON cc.code_combination_id = d.code_combination_id
     WHERE d.po_header_id IN (SELECT t.column_value FROM TABLE(l_ids) t)
       AND h.type_lookup_code IN ('STANDARD', 'BLANKET', 'CONTRACT', 'PLANNED')
       AND h.org_id IN (SELECT t.column_value FROM TABLE(l_orgs) t)
     ORDER BY d.po_header_id, l.line_num, d.distribution_num, d.po_distribution_id
    OFFSET l_offset ROWS FETCH NEXT l_fetch ROWS ONLY;

    X_HAS_MORE := 'N';
    IF X_ROWS.COUNT > P_LIMIT THEN
      X_ROWS.DELETE(X_ROWS.LAST);
      X_HAS_MORE := 'Y';
    END IF;
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROWS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_PO_DISTRIBUTIONS;

  ---------------------------------------------------------------------------------------------------------------
  -- The digest is computed from the rows the window procedure itself returns, page after page inside the database,
  -- rather than from a second query of its own: eight aggregate copies of the candidate and stamp logic would drift
  -- from the procedures they describe, and a digest of other rows than the window read returns would let the
  -- connector skip a change. It costs the database what the window read costs; what it saves is the pages' transfer
  -- through ISG and the connector's work on them. The hash is DBMS_UTILITY.GET_HASH_VALUE (PL/SQL's own, ORA_HASH
  -- being SQL's) over key|LAST_UPDATE_DATE, plus |PARENT_PARTY_ID for a party, whose hierarchy relationship counts
  -- in its change stamp but not in its LAST_UPDATE_DATE; the sum makes it independent of the order. A row edited
  -- between two pages of this call can make the digest describe neither state: it then equals no digest the
  -- connector kept, which costs one window read and loses nothing.
  PROCEDURE GET_WINDOW_DIGEST (P_METHOD IN VARCHAR2,
                               P_LAST_UPDATE_FROM IN DATE,
                               P_LAST_UPDATE_TO IN DATE,
                               P_PARENT_REL_CODE IN VARCHAR2 DEFAULT NULL,
                               P_LEDGER_ID IN NUMBER DEFAULT NULL,
                               X_ROW_COUNT OUT NOCOPY VARCHAR2,
                               X_DIGEST OUT NOCOPY VARCHAR2,
                               X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                               X_MSG_COUNT OUT NOCOPY NUMBER,
                               X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_count    NUMBER := 0;
    l_sum      NUMBER := 0;
    l_offset   NUMBER := 0;
    l_more     VARCHAR2(1);
    l_status   VARCHAR2(1);
    l_messages NUMBER;
    l_message  VARCHAR2(2000);
    l_ignored  VARCHAR2(1);
    l_parties  party_tbl;
    l_accounts cust_account_tbl;
    l_sites    party_site_tbl;
    l_contacts contact_tbl;
    l_vendors  vendor_tbl;
    l_vsites   vendor_site_tbl;
    l_ccids    code_combination_tbl;
    l_orders   purchase_order_tbl;

    PROCEDURE add_row (p_text IN VARCHAR2) IS
    BEGIN
      l_count := l_count + 1;
      l_sum := l_sum + dbms_utility.get_hash_value(p_text, 0, 1073741824);
    END add_row;

    -- The page's answer: a refusal of the window procedure is this call's, with its message.
    PROCEDURE page_done IS
    BEGIN
      IF l_status <> 'S' THEN
        raise_application_error(CASE l_status WHEN 'E' THEN -20100 ELSE -20101 END, l_message);
      END IF;
      l_offset := l_offset + c_max_rows;
    END page_done;
  BEGIN
    IF P_METHOD IS NULL OR UPPER(P_METHOD) NOT IN ('GET_PARTIES', 'GET_CUST_ACCOUNTS', 'GET_PARTY_SITES',
                                                   'GET_CONTACTS', 'GET_VENDORS', 'GET_VENDOR_SITES',
                                                   'GET_CODE_COMBINATIONS', 'GET_PURCHASE_ORDERS') THEN
      bad_input('P_METHOD must be one of GET_PARTIES, GET_CUST_ACCOUNTS, GET_PARTY_SITES, GET_CONTACTS, ' ||
                'GET_VENDORS, GET_VENDOR_SITES, GET_CODE_COMBINATIONS, GET_PURCHASE_ORDERS');
    END IF;
    -- Without the window the procedures would read ids; the digest is of a window only.
    IF P_LAST_UPDATE_FROM IS NULL OR P_LAST_UPDATE_TO IS NULL THEN
      bad_input('P_LAST_UPDATE_FROM and P_LAST_UPDATE_TO are required');
    END IF;
    LOOP
      CASE UPPER(P_METHOD)
        WHEN 'GET_PARTIES' THEN
          GET_PARTIES(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, l_offset, c_max_rows, NULL, P_PARENT_REL_CODE, NULL,
                      l_parties, l_more, l_status, l_messages, l_message);
          FOR i IN 1 .. l_parties.COUNT LOOP
            add_row(l_parties(i).party_id || '|' || l_parties(i).last_update_date || '|' ||
                    l_parties(i).parent_party_id);
          END LOOP;
        WHEN 'GET_CUST_ACCOUNTS' THEN
          GET_CUST_ACCOUNTS(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, l_offset, c_max_rows, NULL,
                            l_accounts, l_more, l_status, l_messages, l_message);
          FOR i IN 1 .. l_accounts.COUNT LOOP
            add_row(l_accounts(i).cust_account_id || '|' || l_accounts(i).last_update_date);
          END LOOP;
        WHEN 'GET_PARTY_SITES' THEN
          GET_PARTY_SITES(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, l_offset, c_max_rows, NULL,
                          l_sites, l_more, l_status, l_messages, l_message);
          FOR i IN 1 .. l_sites.COUNT LOOP
            add_row(l_sites(i).party_site_id || '|' || l_sites(i).last_update_date);
          END LOOP;
        WHEN 'GET_CONTACTS' THEN
          GET_CONTACTS(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, l_offset, c_max_rows, NULL,
                       l_contacts, l_more, l_status, l_messages, l_message);
          FOR i IN 1 .. l_contacts.COUNT LOOP
            add_row(l_contacts(i).relationship_id || '|' || l_contacts(i).last_update_date);
          END LOOP;
        WHEN 'GET_VENDORS' THEN
          GET_VENDORS(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, l_offset, c_max_rows, NULL,
                      l_vendors, l_more, l_status, l_messages, l_message);
          FOR i IN 1 .. l_vendors.COUNT LOOP
            add_row(l_vendors(i).vendor_id || '|' || l_vendors(i).last_update_date);
          END LOOP;
        WHEN 'GET_VENDOR_SITES' THEN
          GET_VENDOR_SITES(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, l_offset, c_max_rows, NULL,
                           l_vsites, l_more, l_status, l_messages, l_message);
          FOR i IN 1 .. l_vsites.COUNT LOOP
            add_row(l_vsites(i).vendor_site_id || '|' || l_vsites(i).last_update_date);
          END LOOP;
        WHEN 'GET_CODE_COMBINATIONS' THEN
          GET_CODE_COMBINATIONS(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, l_offset, c_max_rows, NULL, NULL, P_LEDGER_ID,
                                l_ccids, l_more, l_status, l_messages, l_message);
          FOR i IN 1 .. l_ccids.COUNT LOOP
            add_row(l_ccids(i).code_combination_id || '|' || l_ccids(i).last_update_date);
          END LOOP;
        ELSE
          GET_PURCHASE_ORDERS(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, l_offset, c_max_rows, NULL, NULL,
                              l_orders, l_more, l_status, l_messages, l_message);
          FOR i IN 1 .. l_orders.COUNT LOOP
            add_row(l_orders(i).po_header_id || '|' || l_orders(i).last_update_date);
          END LOOP;
      END CASE;
      page_done;
      EXIT WHEN l_more = 'N';
    END LOOP;
    X_ROW_COUNT := TO_CHAR(l_count);
    X_DIGEST := TO_CHAR(l_sum);
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROW_COUNT := NULL;
      X_DIGEST := NULL;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, l_ignored, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_WINDOW_DIGEST;

  ---------------------------------------------------------------------------------------------------------------
  -- Journals
  --
  -- The first journal imported under a reference (a reversal GL makes later may copy its references), or NULL.
  FUNCTION imported_journal (p_reference IN VARCHAR2, p_ledger_id IN NUMBER) RETURN NUMBER IS
    l_je_header_id gl_je_headers.je_header_id%TYPE;
  BEGIN
    SELECT MIN(h.je_header_id)
      INTO l_je_header_id
      FROM gl_je_headers h
     WHERE (p_ledger_id IS NULL OR h.ledger_id = p_ledger_id)
       AND h.external_reference = SUBSTR(p_reference, 1, c_external_len)
       AND EXISTS (SELECT 1 FROM gl_je_lines l WHERE l.je_header_id = h.je_header_id AND l.reference_1 = p_reference);
    RETURN l_je_header_id;
  END imported_journal;

  -- The latest group holding a journal's rows in GL_INTERFACE, and their status: NEW while Journal Import has not
  -- run, else the error code it or this package refused the journal with (every such code starts with E).
  PROCEDURE interface_journal (p_reference IN VARCHAR2,
                               p_ledger_id IN NUMBER,
                               x_group     OUT NUMBER,
                               x_status    OUT VARCHAR2,
                               x_reason    OUT VARCHAR2) IS
  BEGIN
    SELECT MAX(i.group_id) KEEP (DENSE_RANK LAST ORDER BY i.group_id),
           MIN(i.status) KEEP (DENSE_RANK LAST ORDER BY i.group_id),
           MIN(i.status_description) KEEP (DENSE_RANK LAST ORDER BY i.group_id)
      INTO x_group, x_status, x_reason
      FROM gl_interface i
     WHERE i.reference21 = p_reference AND i.reference6 = SUBSTR(p_reference, 1, c_external_len)
       AND (p_ledger_id IS NULL OR i.ledger_id = p_ledger_id);
  END interface_journal;

  FUNCTION journal_of (p_reference IN VARCHAR2, p_ledger_id IN NUMBER) RETURN journal_rec IS
    l_journal journal_rec;
    l_header  NUMBER := imported_journal(p_reference, p_ledger_id);
    l_group   NUMBER;
  BEGIN
    l_journal.REFERENCE := p_reference;
    IF l_header IS NOT NULL THEN
      SELECT TO_CHAR(h.je_header_id), DECODE(h.status, 'P', 'POSTED', 'UNPOSTED'), h.period_name, h.currency_code
        INTO l_journal.JE_HEADER_ID, l_journal.STATUS, l_journal.PERIOD_NAME, l_journal.CURRENCY_CODE
        FROM gl_je_headers h
       WHERE h.je_header_id = l_header;
      SELECT TO_CHAR(l.code_combination_id), cc.segment1, cc.segment2, cc.segment3, cc.segment4, cc.segment5,
             cc.segment6, cc.segment7, cc.segment8, cc.segment9, cc.segment10, TO_CHAR(l.entered_dr),
             TO_CHAR(l.entered_cr), l.description
        BULK COLLECT INTO l_journal.LINES
        FROM gl_je_lines l
        LEFT JOIN gl_code_combinations cc ON cc.code_combination_id = l.code_combination_id
       WHERE l.je_header_id = l_header
       ORDER BY l.je_line_num;
      RETURN l_journal;
    END IF;
    -- Not imported: its rows in GL_INTERFACE, as it was last sent.
    interface_journal(p_reference, p_ledger_id, l_group, l_journal.STATUS, l_journal.MESSAGE);
    SELECT MIN(i.period_name), MIN(i.currency_code)
      INTO l_journal.PERIOD_NAME, l_journal.CURRENCY_CODE
      FROM gl_interface i
     WHERE i.reference21 = p_reference AND i.group_id = l_group;
    SELECT TO_CHAR(i.code_combination_id), i.segment1, i.segment2, i.segment3, i.segment4, i.segment5, i.segment6,
           i.segment7, i.segment8, i.segment9, i.segment10, TO_CHAR(i.entered_dr), TO_CHAR(i.entered_cr),
           i.reference10
      BULK COLLECT INTO l_journal.LINES
      FROM gl_interface i
     WHERE i.reference21 = p_reference AND i.group_id = l_group
     ORDER BY TO_NUMBER(i.reference22);
    RETURN l_journal;
  END journal_of;

  ---------------------------------------------------------------------------------------------------------------
  PROCEDURE GET_JOURNALS (P_OFFSET IN NUMBER,
                          P_LIMIT IN NUMBER,
                          P_REFERENCES IN VARCHAR2,
                          P_REFERENCE_PREFIXES IN VARCHAR2 DEFAULT NULL,
                          P_LEDGER_ID IN NUMBER DEFAULT NULL,
                          X_ROWS OUT NOCOPY journal_tbl,
                          X_HAS_MORE OUT NOCOPY VARCHAR2,
                          X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                          X_MSG_COUNT OUT NOCOPY NUMBER,
                          X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_references sys.odcivarchar2list;
    l_prefixes   sys.odcivarchar2list;
    l_found      sys.odcivarchar2list;
    l_by_list    VARCHAR2(1);
    l_offset     NUMBER := NVL(P_OFFSET, 0);
    l_fetch      NUMBER := P_LIMIT + 1;
  BEGIN
    check_paging(P_OFFSET, P_LIMIT);
    l_references := split_list(P_REFERENCES, 'P_REFERENCES', c_max_journals);
    l_prefixes := split_list(P_REFERENCE_PREFIXES, 'P_REFERENCE_PREFIXES', c_max_journals);
    IF l_references.COUNT > 0 AND l_prefixes.COUNT > 0 THEN
      bad_input('Give P_REFERENCES or P_REFERENCE_PREFIXES, not both');
    END IF;
    IF l_references.COUNT = 0 AND l_prefixes.COUNT = 0 THEN
      bad_input('P_REFERENCES or P_REFERENCE_PREFIXES is required');
    END IF;
    l_by_list := CASE WHEN l_references.COUNT > 0 THEN 'Y' ELSE 'N' END;

    SELECT journal_reference
      BULK COLLECT INTO l_found
      FROM (SELECT l.reference_1 journal_reference
              FROM gl_je_headers h
              JOIN gl_je_lines l ON l.je_header_id = h.je_header_id
             WHERE (P_LEDGER_ID IS NULL OR h.ledger_id = P_LEDGER_ID)
               AND h.external_reference = SUBSTR(l.reference_1, 1, c_external_len)
               AND ((l_by_list = 'Y'
                     AND h.external_reference IN (SELECT SUBSTR(t.column_value, 1, c_external_len)
                                                    FROM TABLE(l_references) t)
                     AND l.reference_1 IN (SELECT t.column_value FROM TABLE(l_references) t))
                 -- each prefix as a LIKE pattern of its own characters
                 OR (l_by_list = 'N' AND EXISTS (SELECT 1 FROM TABLE(l_prefixes) p
                                                  WHERE l.reference_1 LIKE like_prefix(p.column_value) ESCAPE '\')))
            UNION
            SELECT i.reference21
              FROM gl_interface i
             WHERE (P_LEDGER_ID IS NULL OR i.ledger_id = P_LEDGER_ID)
               AND i.reference6 = SUBSTR(i.reference21, 1, c_external_len)
               AND ((l_by_list = 'Y' AND i.reference21 IN (SELECT t.column_value FROM TABLE(l_references) t))
                 OR (l_by_list = 'N' AND EXISTS (SELECT 1 FROM TABLE(l_prefixes) p
                                                  WHERE i.reference21 LIKE like_prefix(p.column_value) ESCAPE '\'))))
     ORDER BY journal_reference
    OFFSET l_offset ROWS FETCH NEXT l_fetch ROWS ONLY;

    X_HAS_MORE := 'N';
    IF l_found.COUNT > P_LIMIT THEN
      l_found.TRIM;
      X_HAS_MORE := 'Y';
    END IF;
    FOR i IN 1 .. l_found.COUNT LOOP
      X_ROWS(i) := journal_of(l_found(i), P_LEDGER_ID);
    END LOOP;
    succeed(X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  EXCEPTION
    WHEN OTHERS THEN
      X_ROWS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
  END GET_JOURNALS;

  ---------------------------------------------------------------------------------------------------------------
  -- POST_JOURNALS, and what it makes of each journal (journal_work)

  PROCEDURE refuse (x_work IN OUT NOCOPY journal_work, p_code IN VARCHAR2, p_message IN VARCHAR2) IS
  BEGIN
    x_work.error_code := p_code;
    x_work.message := SUBSTR(p_message, 1, 2000);
    RAISE e_refused;
  END refuse;

  -- A text field: trimmed, refused when required and missing or when longer than its column.
  FUNCTION field (p_value    IN VARCHAR2,
                  p_name     IN VARCHAR2,
                  p_length   IN PLS_INTEGER,
                  p_required IN BOOLEAN,
                  x_work     IN OUT NOCOPY journal_work) RETURN VARCHAR2 IS
    l_value VARCHAR2(2000) := TRIM(p_value);
  BEGIN
    IF l_value IS NULL AND p_required THEN
      refuse(x_work, 'EMLC_INPUT', p_name || ' is required');
    END IF;
    IF LENGTH(l_value) > p_length THEN
      refuse(x_work, 'EMLC_INPUT', p_name || ' is longer than ' || p_length || ' characters');
    END IF;
    RETURN l_value;
  END field;

  -- An amount as the connector sends it, a decimal with a point whatever the session's NLS_NUMERIC_CHARACTERS.
  FUNCTION amount (p_value IN VARCHAR2, p_name IN VARCHAR2, x_work IN OUT NOCOPY journal_work) RETURN NUMBER IS
  BEGIN
    IF TRIM(p_value) IS NULL THEN
      RETURN NULL;
    END IF;
    IF NOT REGEXP_LIKE(TRIM(p_value), '^-?[0-9]{1,20}(\.[0-9]{1,10})?$') THEN
      refuse(x_work, 'EMLC_INPUT', p_name || ' "' || SUBSTR(p_value, 1, 60) || '" is not a number');
    END IF;
    RETURN TO_NUMBER(TRIM(p_value), '99999999999999999999.9999999999');
  END amount;

  -- Reads one P_JOURNALS item: input the package cannot read refuses the journal (EMLC_INPUT) before anything is
  -- inserted, as a journal without a readable reference could not be found again.
  PROCEDURE read_journal (p_journal IN journal_in_rec, x_work IN OUT NOCOPY journal_work) IS
    l_text VARCHAR2(2000);
    l_date VARCHAR2(2000);
    l_line PLS_INTEGER := 0;
    l_ccid VARCHAR2(2000);
    i      PLS_INTEGER := p_journal.LINES.FIRST;
  BEGIN
    x_work.reference := field(p_journal.REFERENCE, 'REFERENCE', c_reference_len, TRUE, x_work);
    IF INSTR(x_work.reference, ',') > 0 THEN
      refuse(x_work, 'EMLC_INPUT', 'REFERENCE must not contain a comma (GET_JOURNALS takes a comma-separated list)');
    END IF;
    l_date := field(p_journal.ACCOUNTING_DATE, 'ACCOUNTING_DATE', 30, TRUE, x_work);
    BEGIN
      IF NOT REGEXP_LIKE(l_date, '^[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN
        RAISE VALUE_ERROR;
      END IF;
      x_work.accounting_date := TO_DATE(SUBSTR(l_date, 1, 10), 'YYYY-MM-DD');
    EXCEPTION
      WHEN OTHERS THEN
        refuse(x_work, 'EMLC_INPUT', 'ACCOUNTING_DATE "' || SUBSTR(l_date, 1, 30) || '" is not a date YYYY-MM-DD');
    END;
    l_text := field(p_journal.USER_JE_SOURCE_NAME, 'USER_JE_SOURCE_NAME', 25, TRUE, x_work);
    l_text := field(p_journal.USER_JE_CATEGORY_NAME, 'USER_JE_CATEGORY_NAME', 25, TRUE, x_work);
    l_text := field(p_journal.CURRENCY_CODE, 'CURRENCY_CODE', 15, TRUE, x_work);
    l_text := field(p_journal.JOURNAL_NAME, 'JOURNAL_NAME', 100, FALSE, x_work);
    l_text := field(p_journal.JOURNAL_DESCRIPTION, 'JOURNAL_DESCRIPTION', 240, FALSE, x_work);
    l_text := field(p_journal.BATCH_NAME, 'BATCH_NAME', 100, FALSE, x_work);
    WHILE i IS NOT NULL LOOP
      l_line := l_line + 1;
      l_ccid := TRIM(p_journal.LINES(i).CODE_COMBINATION_ID);
      IF l_ccid IS NOT NULL AND NOT REGEXP_LIKE(l_ccid, '^[0-9]{1,15}$') THEN
        refuse(x_work, 'EMLC_INPUT', 'line ' || l_line || ': CODE_COMBINATION_ID "' || SUBSTR(l_ccid, 1, 40)
                                     || '" is not an id');
      END IF;
      IF l_ccid IS NULL AND COALESCE(p_journal.LINES(i).SEGMENT1, p_journal.LINES(i).SEGMENT2,
                                     p_journal.LINES(i).SEGMENT3, p_journal.LINES(i).SEGMENT4,
                                     p_journal.LINES(i).SEGMENT5, p_journal.LINES(i).SEGMENT6,
                                     p_journal.LINES(i).SEGMENT7, p_journal.LINES(i).SEGMENT8,
                                     p_journal.LINES(i).SEGMENT9, p_journal.LINES(i).SEGMENT10) IS NULL THEN
        refuse(x_work, 'EMLC_INPUT', 'line ' || l_line || ' names no account (CODE_COMBINATION_ID or segments)');
      END IF;
      x_work.ccids(l_line) := TO_NUMBER(l_ccid);
      x_work.debits(l_line) := amount(p_journal.LINES(i).ENTERED_DR, 'line ' || l_line || ' ENTERED_DR', x_work);
      x_work.credits(l_line) := amount(p_journal.LINES(i).ENTERED_CR, 'line ' || l_line || ' ENTERED_CR', x_work);
      IF x_work.debits(l_line) IS NULL AND x_work.credits(l_line) IS NULL THEN
        refuse(x_work, 'EMLC_INPUT', 'line ' || l_line || ' has neither ENTERED_DR nor ENTERED_CR');
      END IF;
      i := p_journal.LINES.NEXT(i);
    END LOOP;
    IF l_line = 0 THEN
      refuse(x_work, 'EMLC_INPUT', 'the journal has no lines');
    END IF;
  END read_journal;

  -- Journal Import's checks, first failure first, with its error codes (as its documentation lists them): EP01
  -- the date is in no open or future-enterable period, EU02 unbalanced (the run does not post errors to suspense),
  -- EF01 account inactive on the date, EF02 no detail posting, EF03 disabled, EF04 no such combination (the package
  -- does not create combinations), EF05 no such CODE_COMBINATION_ID, EC06 no conversion rate, EC08 invalid
  -- currency. An unknown source or category has no code of Journal Import's (it fails the whole run), so the
  -- package answers its own, EMLC_SOURCE and EMLC_CATEGORY. Checking first is what lets each journal stand alone:
  -- Journal Import imports nothing of a run in which it finds an error (guess, from how its runs behave when one
  -- journal fails; the rounds of run_rounds cover it should it find one the checks missed).
  PROCEDURE check_journal (p_journal IN journal_in_rec,
                           p_ledger  IN gl_ledgers%ROWTYPE,
                           x_work    IN OUT NOCOPY journal_work) IS
    l_count   NUMBER;
    l_status  gl_period_statuses.closing_status%TYPE;
    l_cc      gl_code_combinations%ROWTYPE;
    l_debits  NUMBER := 0;
    l_credits NUMBER := 0;
    l_account VARCHAR2(400);
    l_line    PLS_INTEGER := 0;
    l_ccid    NUMBER;
    l_in      journal_line_rec;  -- the line, whose fields SQL can read (not a collection element's)
    i         PLS_INTEGER := p_journal.LINES.FIRST;
  BEGIN
    SELECT COUNT(*) INTO l_count FROM gl_je_sources WHERE user_je_source_name = TRIM(p_journal.USER_JE_SOURCE_NAME);
    IF l_count = 0 THEN
      refuse(x_work, 'EMLC_SOURCE', 'journal source "' || TRIM(p_journal.USER_JE_SOURCE_NAME)
                                    || '" is not defined in General Ledger');
    END IF;
    SELECT COUNT(*) INTO l_count
      FROM gl_je_categories WHERE user_je_category_name = TRIM(p_journal.USER_JE_CATEGORY_NAME);
    IF l_count = 0 THEN
      refuse(x_work, 'EMLC_CATEGORY', 'journal category "' || TRIM(p_journal.USER_JE_CATEGORY_NAME)
                                      || '" is not defined in General Ledger');
    END IF;
    SELECT COUNT(*) INTO l_count
      FROM fnd_currencies WHERE currency_code = TRIM(p_journal.CURRENCY_CODE) AND enabled_flag = 'Y';
    IF l_count = 0 THEN
      refuse(x_work, 'EC08', 'invalid currency "' || TRIM(p_journal.CURRENCY_CODE) || '"');
    END IF;
    IF TRIM(p_journal.CURRENCY_CODE) <> p_ledger.currency_code THEN
      SELECT COUNT(*) INTO l_count
        FROM gl_daily_rates
       WHERE from_currency = TRIM(p_journal.CURRENCY_CODE) AND to_currency = p_ledger.currency_code
         AND conversion_date = x_work.accounting_date AND conversion_type = c_rate_type;
      IF l_count = 0 THEN
        refuse(x_work, 'EC06', 'no ' || c_rate_type || ' rate from ' || TRIM(p_journal.CURRENCY_CODE) || ' to '
                               || p_ledger.currency_code || ' on ' || TO_CHAR(x_work.accounting_date, 'YYYY-MM-DD'));
      END IF;
      x_work.rate_type := c_rate_type;
    END IF;

    BEGIN
      SELECT period_name, closing_status
        INTO x_work.period_name, l_status
        FROM gl_period_statuses
       WHERE application_id = c_gl_application AND ledger_id = p_ledger.ledger_id
         AND adjustment_period_flag = 'N'
         AND x_work.accounting_date BETWEEN start_date AND end_date;
    EXCEPTION
      WHEN NO_DATA_FOUND THEN
        refuse(x_work, 'EP01', TO_CHAR(x_work.accounting_date, 'YYYY-MM-DD') || ' is in no period of ledger '
                               || p_ledger.name);
    END;
    IF l_status NOT IN ('O', 'F') THEN
      refuse(x_work, 'EP01', TO_CHAR(x_work.accounting_date, 'YYYY-MM-DD') || ' is in period '
                             || x_work.period_name || ', which is '
                             || CASE l_status WHEN 'C' THEN 'Closed' WHEN 'P' THEN 'Permanently Closed'
                                              WHEN 'N' THEN 'Never Opened' WHEN 'W' THEN 'Close Pending'
                                              ELSE l_status END
                             || ' for ledger ' || p_ledger.name
                             || ': only an Open or Future-Entry period takes journals');
    END IF;

    WHILE i IS NOT NULL LOOP
      l_line := l_line + 1;
      l_in := p_journal.LINES(i);
      l_ccid := x_work.ccids(l_line);
      BEGIN
        IF l_ccid IS NOT NULL THEN
          l_account := TO_CHAR(l_ccid);
          SELECT * INTO l_cc
            FROM gl_code_combinations
           WHERE code_combination_id = l_ccid AND chart_of_accounts_id = p_ledger.chart_of_accounts_id;
        ELSE
          l_account := RTRIM(l_in.SEGMENT1 || '-' || l_in.SEGMENT2 || '-' || l_in.SEGMENT3 || '-' || l_in.SEGMENT4
                             || '-' || l_in.SEGMENT5 || '-' || l_in.SEGMENT6 || '-' || l_in.SEGMENT7 || '-'
                             || l_in.SEGMENT8 || '-' || l_in.SEGMENT9 || '-' || l_in.SEGMENT10, '-');
          -- DECODE matches NULL with NULL: a segment the chart does not use is NULL on both sides.
          SELECT * INTO l_cc
            FROM gl_code_combinations
           WHERE chart_of_accounts_id = p_ledger.chart_of_accounts_id
             AND DECODE(segment1, l_in.SEGMENT1, 1) = 1 AND DECODE(segment2, l_in.SEGMENT2, 1) = 1
             AND DECODE(segment3, l_in.SEGMENT3, 1) = 1 AND DECODE(segment4, l_in.SEGMENT4, 1) = 1
             AND DECODE(segment5, l_in.SEGMENT5, 1) = 1 AND DECODE(segment6, l_in.SEGMENT6, 1) = 1
             AND DECODE(segment7, l_in.SEGMENT7, 1) = 1 AND DECODE(segment8, l_in.SEGMENT8, 1) = 1
             AND DECODE(segment9, l_in.SEGMENT9, 1) = 1 AND DECODE(segment10, l_in.SEGMENT10, 1) = 1;
        END IF;
      EXCEPTION
        WHEN NO_DATA_FOUND THEN
          IF l_ccid IS NOT NULL THEN
            refuse(x_work, 'EF05', 'line ' || l_line || ': no account with CODE_COMBINATION_ID ' || l_account);
          END IF;
          refuse(x_work, 'EF04', 'line ' || l_line || ': ' || l_account
                                 || ' is not a combination of the chart (create it in GL first)');
        WHEN TOO_MANY_ROWS THEN  -- a chart of more than ten segments: the line must give the CODE_COMBINATION_ID
          refuse(x_work, 'EF04', 'line ' || l_line || ': ' || l_account || ' names several combinations');
      END;
      IF l_cc.enabled_flag <> 'Y' THEN
        refuse(x_work, 'EF03', 'line ' || l_line || ': account ' || l_account || ' is disabled');
      END IF;
      IF l_cc.summary_flag = 'Y' OR l_cc.detail_posting_allowed_flag <> 'Y' THEN
        refuse(x_work, 'EF02', 'line ' || l_line || ': detail posting is not allowed to account ' || l_account);
      END IF;
      IF x_work.accounting_date < NVL(TRUNC(l_cc.start_date_active), x_work.accounting_date)
         OR x_work.accounting_date > NVL(TRUNC(l_cc.end_date_active), x_work.accounting_date) THEN
        refuse(x_work, 'EF01', 'line ' || l_line || ': account ' || l_account || ' is not active on '
                               || TO_CHAR(x_work.accounting_date, 'YYYY-MM-DD'));
      END IF;
      x_work.ccids(l_line) := l_cc.code_combination_id;
      l_debits := l_debits + NVL(x_work.debits(l_line), 0);
      l_credits := l_credits + NVL(x_work.credits(l_line), 0);
      i := p_journal.LINES.NEXT(i);
    END LOOP;
    IF l_debits <> l_credits THEN
      refuse(x_work, 'EU02', 'the journal is unbalanced: debits ' || l_debits || ', credits ' || l_credits);
    END IF;
  END check_journal;

  -- The journal's lines as GL_INTERFACE rows of a group: STATUS NEW for Journal Import, or the code it was refused
  -- with (in a group Journal Import never runs). REFERENCE22 keeps the line's place, for GET_JOURNALS.
  PROCEDURE insert_rows (p_journal IN journal_in_rec,
                         p_work    IN journal_work,
                         p_ledger  IN gl_ledgers%ROWTYPE,
                         p_group   IN NUMBER,
                         p_status  IN VARCHAR2,
                         p_reason  IN VARCHAR2) IS
    l_line PLS_INTEGER := 0;
    l_in   journal_line_rec;
    l_dr   NUMBER;
    l_cr   NUMBER;
    l_ccid NUMBER;
    i      PLS_INTEGER := p_journal.LINES.FIRST;
  BEGIN
    WHILE i IS NOT NULL LOOP
      l_line := l_line + 1;
      l_in := p_journal.LINES(i);
      -- what the checks read of the line; a journal refused while it was being read has less
      l_dr := CASE WHEN p_work.debits.EXISTS(l_line) THEN p_work.debits(l_line) END;
      l_cr := CASE WHEN p_work.credits.EXISTS(l_line) THEN p_work.credits(l_line) END;
      l_ccid := CASE WHEN p_work.ccids.EXISTS(l_line) THEN p_work.ccids(l_line) END;
      INSERT INTO gl_interface (status, status_description, ledger_id, set_of_books_id, accounting_date,
                                currency_code, date_created, created_by, actual_flag, user_je_source_name,
                                user_je_category_name, user_currency_conversion_type, currency_conversion_date,
                                period_name, entered_dr, entered_cr, code_combination_id, segment1, segment2,
                                segment3, segment4, segment5, segment6, segment7, segment8, segment9, segment10,
                                group_id, reference1, reference4, reference5, reference6, reference10, reference21,
                                reference22)
      VALUES (p_status, SUBSTR(p_reason, 1, 240), p_ledger.ledger_id, p_ledger.ledger_id, p_work.accounting_date,
              TRIM(p_journal.CURRENCY_CODE), SYSDATE, fnd_global.user_id, 'A', TRIM(p_journal.USER_JE_SOURCE_NAME),
              TRIM(p_journal.USER_JE_CATEGORY_NAME), p_work.rate_type,
              CASE WHEN p_work.rate_type IS NOT NULL THEN p_work.accounting_date END, p_work.period_name, l_dr, l_cr,
              l_ccid, l_in.SEGMENT1, l_in.SEGMENT2, l_in.SEGMENT3, l_in.SEGMENT4, l_in.SEGMENT5, l_in.SEGMENT6,
              l_in.SEGMENT7, l_in.SEGMENT8, l_in.SEGMENT9, l_in.SEGMENT10, p_group,
              SUBSTR(TRIM(p_journal.BATCH_NAME), 1, 100), SUBSTR(TRIM(p_journal.JOURNAL_NAME), 1, 100),
              SUBSTR(TRIM(p_journal.JOURNAL_DESCRIPTION), 1, 240), SUBSTR(p_work.reference, 1, c_external_len),
              SUBSTR(l_in.DESCRIPTION, 1, 240), p_work.reference, TO_CHAR(l_line));
      i := p_journal.LINES.NEXT(i);
    END LOOP;
  END insert_rows;

  -- Runs Journal Import on one group and waits for it. x_request is 0 when the request could not be submitted
  -- (x_message says why); x_complete is FALSE while it still runs after c_import_wait seconds.
  --
  -- GLLEZL's arguments are those R12 callers pass (public code; the concurrent program's definition in
  -- FND_DESCR_FLEX_COLUMN_USAGES under $SRS$.GLLEZL is the authority on an instance): the interface run id, the
  -- data access set, post errors to suspense N, no date range, summary journals N, descriptive flexfields N.
  PROCEDURE run_import (p_ledger_id  IN NUMBER,
                        p_access_set IN NUMBER,
                        p_group      IN NUMBER,
                        x_request    OUT NUMBER,
                        x_complete   OUT BOOLEAN,
                        x_message    OUT VARCHAR2) IS
    l_run_id     NUMBER;
    l_phase      VARCHAR2(80);
    l_status     VARCHAR2(80);
    l_dev_phase  VARCHAR2(30);
    l_dev_status VARCHAR2(30);
  BEGIN
    x_complete := FALSE;
    SELECT gl_journal_import_s.NEXTVAL INTO l_run_id FROM dual;
    -- One control row per journal source of the group: Journal Import imports the group of each.
    INSERT INTO gl_interface_control (je_source_name, status, interface_run_id, group_id, set_of_books_id)
    SELECT DISTINCT s.je_source_name, 'S', l_run_id, p_group, p_ledger_id
      FROM gl_interface i
      JOIN gl_je_sources s ON s.user_je_source_name = i.user_je_source_name
     WHERE i.group_id = p_group AND i.status = 'NEW';
    x_request := fnd_request.submit_request(application => 'SQLGL',
                                            program     => 'GLLEZL',
                                            description => NULL,
                                            start_time  => NULL,
                                            sub_request => FALSE,
                                            argument1   => TO_CHAR(l_run_id),
                                            argument2   => TO_CHAR(p_access_set),
                                            argument3   => 'N',
                                            argument4   => NULL,
                                            argument5   => NULL,
                                            argument6   => 'N',
                                            argument7   => 'N');
    IF NVL(x_request, 0) = 0 THEN
      x_request := 0;
      x_message := SUBSTR(fnd_message.get, 1, 2000);
      ROLLBACK;  -- the control rows; the group's rows were committed before
      RETURN;
    END IF;
    -- The concurrent manager sees the request, and Journal Import the control rows, only once committed.
    COMMIT;
    IF fnd_concurrent.wait_for_request(x_request, 2, c_import_wait, l_phase, l_status, l_dev_phase, l_dev_status,
                                       x_message) THEN
      x_complete := l_dev_phase = 'COMPLETE';
    END IF;
  END run_import;

  ---------------------------------------------------------------------------------------------------------------
  -- The journals are processed one at a time in this order, under a user lock that serialises POST_JOURNALS calls:
  -- checking a reference and then inserting its journal is only safe when no other call can do the same in
  -- between, as a client resends a call whose answer it lost while the first may still be running.
  --
  --   1. read the journal; input the package cannot read is refused (E EMLC_INPUT) without a row;
  --   2. its reference already imported, or waiting in GL_INTERFACE (any STATUS but a refusal): D, nothing done;
  --   3. rows a refusal of the same reference left in GL_INTERFACE are deleted: this journal replaces them;
  --   4. Journal Import's checks (check_journal); refused: its rows go into GL_INTERFACE with the code (E);
  --   5. else its rows go into GL_INTERFACE, STATUS NEW, in this call's group.
  --
  -- Then the group is committed and Journal Import runs on it; each journal's result is read back: imported (S,
  -- with its JE_HEADER_ID), refused by Journal Import (E, its code in STATUS), still waiting when the request runs
  -- longer than c_import_wait (S without JE_HEADER_ID: it is imported when the request ends, and the next call
  -- answers D with it), or held back because Journal Import refused another journal of the run: those go into a
  -- new group and Journal Import runs again, at most c_import_rounds times.
  --
  -- The application context comes from ISG, which initialises the session (FND_GLOBAL.APPS_INITIALIZE) from the
  -- RESTHeader: the responsibility must be General Ledger's, and its data access set (profile GL: Data Access Set)
  -- must hold the ledger.
  PROCEDURE POST_JOURNALS (P_LEDGER_ID IN NUMBER,
                           P_JOURNALS IN journal_in_tbl,
                           X_RESULTS OUT NOCOPY journal_result_tbl,
                           X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                           X_MSG_COUNT OUT NOCOPY NUMBER,
                           X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    TYPE index_list IS TABLE OF PLS_INTEGER INDEX BY BINARY_INTEGER;
    TYPE seen_set IS TABLE OF BOOLEAN INDEX BY VARCHAR2(240);
    l_ledger     gl_ledgers%ROWTYPE;
    l_access_set NUMBER;
    l_count      NUMBER;
    l_lock       VARCHAR2(128);
    l_locked     BOOLEAN := FALSE;
    l_group      NUMBER;       -- this call's group in GL_INTERFACE, for Journal Import
    l_refused    NUMBER;       -- the group its refused journals stay in, which Journal Import never runs
    l_waiting    NUMBER;
    l_header     NUMBER;
    l_status     VARCHAR2(50);
    l_reason     VARCHAR2(2000);
    l_blank      journal_work;
    l_works      journal_work;
    l_pending    index_list;   -- result index → P_JOURNALS index, of the journals in l_group
    l_seen       seen_set;
    l_result     PLS_INTEGER := 0;
    l_has_more   VARCHAR2(1);
    i            PLS_INTEGER;

    PROCEDURE answer (p_status IN VARCHAR2, p_header IN NUMBER, p_code IN VARCHAR2, p_message IN VARCHAR2) IS
    BEGIN
      X_RESULTS(l_result).STATUS := p_status;
      X_RESULTS(l_result).JE_HEADER_ID := TO_CHAR(p_header);
      X_RESULTS(l_result).ERROR_CODE := p_code;
      X_RESULTS(l_result).MESSAGE := SUBSTR(p_message, 1, 2000);
    END answer;

    -- Journal Import on the pending journals, in rounds (see above), and their results.
    PROCEDURE run_rounds IS
      l_request  NUMBER;
      l_complete BOOLEAN;
      l_message  VARCHAR2(2000);
      l_header   NUMBER;
      l_at_group NUMBER;
      l_status   VARCHAR2(50);
      l_reason   VARCHAR2(2000);
      l_held     index_list;
      r          PLS_INTEGER;
    BEGIN
      FOR n IN 1 .. c_import_rounds LOOP
        EXIT WHEN l_pending.COUNT = 0;
        run_import(P_LEDGER_ID, l_access_set, l_group, l_request, l_complete, l_message);
        l_held.DELETE;
        r := l_pending.FIRST;
        WHILE r IS NOT NULL LOOP
          l_result := r;
          l_header := imported_journal(X_RESULTS(r).REFERENCE, P_LEDGER_ID);
          interface_journal(X_RESULTS(r).REFERENCE, P_LEDGER_ID, l_at_group, l_status, l_reason);
          IF l_header IS NOT NULL THEN
            answer('S', l_header, NULL, NULL);
          ELSIF l_request = 0 THEN
            UPDATE gl_interface SET status = 'EMLC_IMPORT', status_description = SUBSTR(l_message, 1, 240)
             WHERE reference21 = X_RESULTS(r).REFERENCE AND group_id = l_group;
            answer('E', NULL, 'EMLC_IMPORT', 'Journal Import could not be submitted: ' || l_message);
          ELSIF l_status LIKE 'E%' THEN
            answer('E', NULL, l_status, NVL(l_reason, 'refused by Journal Import, request ' || l_request
                                                      || ': see its output'));
          ELSIF l_status IS NULL THEN
            answer('E', NULL, 'EMLC_IMPORT', 'Journal Import request ' || l_request
                                             || ' removed the rows without importing them');
          ELSIF NOT l_complete THEN
            answer('S', NULL, NULL, 'waiting in GL_INTERFACE for Journal Import request ' || l_request
                                    || ', which is still running');
          ELSE
            l_held(r) := l_pending(r);
          END IF;
          r := l_pending.NEXT(r);
        END LOOP;
        l_pending := l_held;
        IF l_pending.COUNT > 0 THEN
          -- held back by another journal of the run: its rows go into a new group, for the next round
          SELECT gl_interface_control_s.NEXTVAL INTO l_at_group FROM dual;
          r := l_pending.FIRST;
          WHILE r IS NOT NULL LOOP
            UPDATE gl_interface SET group_id = l_at_group, status = 'NEW'
             WHERE reference21 = X_RESULTS(r).REFERENCE AND group_id = l_group;
            r := l_pending.NEXT(r);
          END LOOP;
          l_group := l_at_group;
          COMMIT;
        END IF;
      END LOOP;
      r := l_pending.FIRST;
      WHILE r IS NOT NULL LOOP
        l_result := r;
        UPDATE gl_interface SET status = 'EMLC_NOT_IMPORTED', status_description = 'not imported after '
                                                                                   || c_import_rounds || ' runs'
         WHERE reference21 = X_RESULTS(r).REFERENCE AND group_id = l_group;
        answer('E', NULL, 'EMLC_NOT_IMPORTED', 'Journal Import did not import it in ' || c_import_rounds
                                               || ' runs; see the output of its requests');
        r := l_pending.NEXT(r);
      END LOOP;
      COMMIT;
    END run_rounds;
  BEGIN
    IF NVL(fnd_global.resp_appl_id, -1) <> c_gl_application THEN
      bad_input('POST_JOURNALS needs a General Ledger responsibility (application SQLGL); the RESTHeader named '
                || NVL(fnd_global.resp_name, 'none'));
    END IF;
    l_access_set := fnd_profile.value('GL_ACCESS_SET_ID');
    IF l_access_set IS NULL THEN
      bad_input('responsibility ' || fnd_global.resp_name || ' has no data access set (GL: Data Access Set)');
    END IF;
    BEGIN
      SELECT * INTO l_ledger FROM gl_ledgers WHERE ledger_id = P_LEDGER_ID;
    EXCEPTION
      WHEN NO_DATA_FOUND THEN
        bad_input('P_LEDGER_ID ' || NVL(TO_CHAR(P_LEDGER_ID), 'null') || ' is not a ledger');
    END;
    -- Guess: any assignment of the ledger to the access set; whether it grants write access as well
    -- (ACCESS_PRIVILEGE_CODE) is left to Journal Import, which refuses a run the data access set may not write.
    SELECT COUNT(*) INTO l_count
      FROM gl_access_set_norm_assign WHERE access_set_id = l_access_set AND ledger_id = P_LEDGER_ID;
    IF l_count = 0 THEN
      bad_input('ledger ' || l_ledger.name || ' is not in the data access set of responsibility '
                || fnd_global.resp_name);
    END IF;
    IF P_JOURNALS.COUNT = 0 THEN
      bad_input('P_JOURNALS holds no journal');
    END IF;
    IF P_JOURNALS.COUNT > c_max_journals THEN
      bad_input('P_JOURNALS holds ' || P_JOURNALS.COUNT || ' journals; at most ' || c_max_journals || ' a call');
    END IF;

    -- ALLOCATE_UNIQUE commits; nothing is pending yet.
    dbms_lock.allocate_unique(c_lock_name, l_lock);
    IF dbms_lock.request(l_lock, dbms_lock.x_mode, c_lock_wait, release_on_commit => FALSE) NOT IN (0, 4) THEN
      bad_input('another POST_JOURNALS call held the journals for ' || c_lock_wait || ' seconds; call again');
    END IF;
    l_locked := TRUE;
    SELECT gl_interface_control_s.NEXTVAL INTO l_group FROM dual;

    i := P_JOURNALS.FIRST;
    WHILE i IS NOT NULL LOOP
      l_result := l_result + 1;
      l_works := l_blank;
      X_RESULTS(l_result).REFERENCE := SUBSTR(TRIM(P_JOURNALS(i).REFERENCE), 1, c_reference_len);
      BEGIN
        read_journal(P_JOURNALS(i), l_works);
        IF l_seen.EXISTS(l_works.reference) THEN
          refuse(l_works, 'EMLC_INPUT', 'REFERENCE appears twice in this call');
        END IF;
        l_seen(l_works.reference) := TRUE;
        l_header := imported_journal(l_works.reference, P_LEDGER_ID);
        interface_journal(l_works.reference, P_LEDGER_ID, l_waiting, l_status, l_reason);
        IF l_header IS NOT NULL THEN
          answer('D', l_header, NULL, 'imported before as journal ' || l_header);
        ELSIF l_status IS NOT NULL AND l_status NOT LIKE 'E%' THEN
          answer('D', NULL, NULL, 'waiting in GL_INTERFACE (GROUP_ID ' || l_waiting || ') for Journal Import');
        ELSE
          DELETE FROM gl_interface
           WHERE reference21 = l_works.reference AND reference6 = SUBSTR(l_works.reference, 1, c_external_len)
             AND ledger_id = P_LEDGER_ID AND status LIKE 'E%';
          BEGIN
            check_journal(P_JOURNALS(i), l_ledger, l_works);
            insert_rows(P_JOURNALS(i), l_works, l_ledger, l_group, 'NEW', NULL);
            l_pending(l_result) := i;
          EXCEPTION
            WHEN e_refused THEN
              IF l_refused IS NULL THEN
                SELECT gl_interface_control_s.NEXTVAL INTO l_refused FROM dual;
              END IF;
              insert_rows(P_JOURNALS(i), l_works, l_ledger, l_refused, l_works.error_code, l_works.message);
              answer('E', NULL, l_works.error_code, l_works.message);
          END;
        END IF;
      EXCEPTION
        WHEN e_refused THEN
          answer('E', NULL, l_works.error_code, l_works.message);
      END;
      i := P_JOURNALS.NEXT(i);
    END LOOP;
    COMMIT;

    run_rounds;
    l_count := dbms_lock.release(l_lock);
    X_RETURN_STATUS := 'S';
    X_MSG_COUNT := 0;
    X_MSG_DATA := NULL;
  EXCEPTION
    WHEN OTHERS THEN
      X_RESULTS.DELETE;
      fail(SQLCODE, SQLERRM, dbms_utility.format_error_backtrace, l_has_more, X_RETURN_STATUS, X_MSG_COUNT,
           X_MSG_DATA);
      ROLLBACK;
      IF l_locked THEN
        l_count := dbms_lock.release(l_lock);
      END IF;
  END POST_JOURNALS;

END XXMLC_SYNC_PKG;
/
