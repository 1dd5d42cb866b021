CREATE OR REPLACE PACKAGE BODY XXMLC_SYNC_PKG AS
/* $Header: XXMLC_SYNC_PKG.pkb 120.3 2026/12/07 00:00:00 ml-connector-dagster ship $ */
--
-- Read-only by construction: every procedure is one SELECT ... BULK COLLECT. The package contains no INSERT,
-- UPDATE, DELETE, MERGE, COMMIT or DDL. (MO_GLOBAL.INIT, called for the two org-striped procedures, fills its own
-- session-private temporary table; that is Oracle's API, not a write to business data.)
--
-- Paging: ORDER BY (change stamp, row key) with OFFSET ... FETCH NEXT, the row-limiting clause of Oracle Database
-- 12.1 and later. EBS 12.2 is certified on 11.2.0.4 too, but that release is out of Premier and Extended Support
-- and 12.2 installations have moved to 12.1.0.2 / 19c; on 11.2.0.4 this body does not compile (PLS-00103 at
-- OFFSET). We fetch P_LIMIT + 1 rows so X_HAS_MORE comes from the same query instead of a second COUNT(*).
--
-- Change stamp: the greatest LAST_UPDATE_DATE of the joined rows, so that an edit of a location, site use,
-- contact point or hierarchy relationship makes the row change too. GREATEST over expressions cannot use an index,
-- so each procedure first collects the candidate keys with one branch per joined table, each branch a plain range
-- on that table's LAST_UPDATE_DATE (a stamp inside the window implies that at least one joined row was updated
-- inside the window), and computes the stamp only for those candidates. In P_PARTY_IDS mode the candidates are the
-- rows of the listed parties and the window branches are switched off by the l_by_party flag (a predicate on a
-- bind only, which the optimizer evaluates once, before touching the table).
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

  PROCEDURE bad_input (p_message IN VARCHAR2) IS
  BEGIN
    raise_application_error(-20100, p_message);
  END bad_input;

  -- Validates the IN parameters shared by every procedure and parses P_PARTY_IDS.
  -- x_by_party is 'Y' when P_PARTY_IDS was given (the window is then ignored), 'A' when p_after was (GET_PARTIES'
  -- P_AFTER_PARTY_ID: the parties after it in PARTY_ID order, the window ignored too), else 'N'.
  PROCEDURE read_request (p_from      IN DATE,
                          p_to        IN DATE,
                          p_offset    IN NUMBER,
                          p_limit     IN NUMBER,
                          p_party_ids IN VARCHAR2,
                          x_ids       OUT NOCOPY sys.odcinumberlist,
                          x_by_party  OUT VARCHAR2,
                          p_after     IN NUMBER DEFAULT NULL) IS
    l_start PLS_INTEGER := 1;
    l_comma PLS_INTEGER;
    l_item  VARCHAR2(32767);
  BEGIN
    IF p_limit IS NULL OR p_limit <> TRUNC(p_limit) OR p_limit < 1 OR p_limit > c_max_rows THEN
      bad_input('P_LIMIT must be a whole number from 1 to ' || c_max_rows);
    END IF;
    IF p_offset IS NOT NULL AND (p_offset <> TRUNC(p_offset) OR p_offset < 0) THEN
      bad_input('P_OFFSET must be a whole number, 0 or more');
    END IF;

    x_ids := sys.odcinumberlist();
    IF p_after IS NOT NULL THEN
      IF TRIM(p_party_ids) IS NOT NULL THEN
        bad_input('Give P_PARTY_IDS or P_AFTER_PARTY_ID, not both');
      END IF;
      IF p_after <> TRUNC(p_after) OR p_after < 0 THEN
        bad_input('P_AFTER_PARTY_ID must be a whole number, 0 or more');
      END IF;
      x_by_party := 'A';
      RETURN;
    END IF;
    IF TRIM(p_party_ids) IS NULL THEN
      x_by_party := 'N';
      IF p_from IS NULL OR p_to IS NULL THEN
        bad_input('P_LAST_UPDATE_FROM and P_LAST_UPDATE_TO are required unless P_PARTY_IDS is given');
      END IF;
      IF p_from >= p_to THEN
        bad_input('P_LAST_UPDATE_FROM must be before P_LAST_UPDATE_TO');
      END IF;
      RETURN;
    END IF;

    -- A positional scan rather than REGEXP_SUBSTR(..., n): the n-th occurrence rescans the string from the start,
    -- which is quadratic over a list of 1000 ids.
    x_by_party := 'Y';
    LOOP
      l_comma := INSTR(p_party_ids, ',', l_start);
      IF l_comma = 0 THEN
        l_item := TRIM(SUBSTR(p_party_ids, l_start));
      ELSE
        l_item := TRIM(SUBSTR(p_party_ids, l_start, l_comma - l_start));
      END IF;
      IF l_item IS NOT NULL THEN
        IF NOT REGEXP_LIKE(l_item, '^[0-9]{1,15}$') THEN
          bad_input('P_PARTY_IDS must be comma-separated PARTY_IDs; "' || SUBSTR(l_item, 1, 40) || '" is not one');
        END IF;
        IF x_ids.COUNT = c_max_rows THEN
          bad_input('P_PARTY_IDS holds more than ' || c_max_rows || ' PARTY_IDs');
        END IF;
        x_ids.EXTEND;
        x_ids(x_ids.COUNT) := TO_NUMBER(l_item);
      END IF;
      EXIT WHEN l_comma = 0;
      l_start := l_comma + 1;
    END LOOP;
    IF x_ids.COUNT = 0 THEN
      bad_input('P_PARTY_IDS holds no PARTY_ID');
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

END XXMLC_SYNC_PKG;
/
