CREATE OR REPLACE PACKAGE BODY XXMLC_SYNC_PKG AS
/* $Header: XXMLC_SYNC_PKG.pkb 1.0 2026/11/22 ml-connector-dagster $ */
-- Read-only: SELECTs only, no DML, no commits. Paging uses OFFSET ... FETCH (Oracle Database 12.1 or later, which
-- every EBS 12.2 database now runs: 11.2.0.4 is out of support). One row beyond P_LIMIT is fetched to answer
-- X_HAS_MORE without a second count query.

  c_max_rows  CONSTANT PLS_INTEGER := 1000;
  c_long_ago  CONSTANT DATE := DATE '1900-01-01';

  e_bad_input EXCEPTION;
  g_message   VARCHAR2(2000);

  -- ISG puts the RESTHeader's Org_Id into the multi-org context; without one the current org is null and every
  -- operating unit is read (the user's MO security profile still decides what the responsibility may see).
  FUNCTION current_org RETURN NUMBER IS
  BEGIN
    RETURN mo_global.get_current_org_id;
  END current_org;

  PROCEDURE check_input (p_from DATE, p_to DATE, p_offset NUMBER, p_limit NUMBER, p_party_ids VARCHAR2) IS
  BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > c_max_rows OR p_limit <> TRUNC(p_limit) THEN
      g_message := 'P_LIMIT must be between 1 and ' || c_max_rows;
      RAISE e_bad_input;
    END IF;
    IF NVL(p_offset, 0) < 0 THEN
      g_message := 'P_OFFSET must be 0 or more';
      RAISE e_bad_input;
    END IF;
    IF p_party_ids IS NULL THEN
      IF p_from IS NULL OR p_to IS NULL THEN
        g_message := 'P_LAST_UPDATE_FROM and P_LAST_UPDATE_TO are required unless P_PARTY_IDS is given';
        RAISE e_bad_input;
      END IF;
      IF p_from >= p_to THEN
        g_message := 'P_LAST_UPDATE_FROM must be before P_LAST_UPDATE_TO';
        RAISE e_bad_input;
      END IF;
    END IF;
  END check_input;

  FUNCTION party_ids (p_list VARCHAR2) RETURN sys.odcinumberlist IS
    l_ids  sys.odcinumberlist := sys.odcinumberlist();
    l_item VARCHAR2(100);
    l_pos  PLS_INTEGER := 1;
  BEGIN
    IF p_list IS NULL THEN
      RETURN l_ids;
    END IF;
    LOOP
      l_item := TRIM(REGEXP_SUBSTR(p_list, '[^,]+', 1, l_pos));
      EXIT WHEN l_item IS NULL;
      IF NOT REGEXP_LIKE(l_item, '^[0-9]+$') THEN
        g_message := 'P_PARTY_IDS must be comma-separated numbers';
        RAISE e_bad_input;
      END IF;
      l_ids.EXTEND;
      l_ids(l_ids.COUNT) := TO_NUMBER(l_item);
      IF l_ids.COUNT > c_max_rows THEN
        g_message := 'P_PARTY_IDS holds more than ' || c_max_rows || ' ids';
        RAISE e_bad_input;
      END IF;
      l_pos := l_pos + 1;
    END LOOP;
    RETURN l_ids;
  END party_ids;

  PROCEDURE succeed (p_fetched PLS_INTEGER, p_limit NUMBER, x_has_more OUT VARCHAR2, x_return_status OUT VARCHAR2,
                     x_msg_count OUT NUMBER, x_msg_data OUT VARCHAR2) IS
  BEGIN
    x_has_more := CASE WHEN p_fetched > p_limit THEN 'Y' ELSE 'N' END;
    x_return_status := 'S';
    x_msg_count := 0;
    x_msg_data := NULL;
  END succeed;

  PROCEDURE fail (p_status VARCHAR2, p_message VARCHAR2, x_has_more OUT VARCHAR2, x_return_status OUT VARCHAR2,
                  x_msg_count OUT NUMBER, x_msg_data OUT VARCHAR2) IS
  BEGIN
    x_has_more := 'N';
    x_return_status := p_status;
    x_msg_count := 1;
    x_msg_data := SUBSTR(p_message, 1, 2000);
  END fail;

  PROCEDURE GET_PARTIES (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                         P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, P_PARENT_REL_CODE IN VARCHAR2 DEFAULT 'SUBSIDIARY_OF',
                         X_ROWS OUT NOCOPY party_tbl, X_HAS_MORE OUT NOCOPY VARCHAR2,
                         X_RETURN_STATUS OUT NOCOPY VARCHAR2, X_MSG_COUNT OUT NOCOPY NUMBER,
                         X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids  sys.odcinumberlist;
    l_code VARCHAR2(30) := NVL(P_PARENT_REL_CODE, 'SUBSIDIARY_OF');
  BEGIN
    check_input(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS);
    l_ids := party_ids(P_PARTY_IDS);
    SELECT party_id, party_number, party_name, party_type, status, person_first_name, person_last_name,
           jgzz_fiscal_code, tax_reference, email_address, primary_phone_country_code, primary_phone_area_code,
           primary_phone_number, url, address1, address2, address3, address4, city, postal_code, state, province,
           country, parent_party_id, object_version_number, creation_date, last_update_date
      BULK COLLECT INTO X_ROWS
      FROM (SELECT p.*, parent.object_id parent_party_id,
                   GREATEST(p.last_update_date, NVL(parent.last_update_date, c_long_ago)) stamp
              FROM hz_parties p
              LEFT JOIN hz_relationships parent
                ON parent.subject_id = p.party_id AND parent.subject_table_name = 'HZ_PARTIES'
               AND parent.object_table_name = 'HZ_PARTIES' AND parent.directional_flag = 'F'
               AND parent.relationship_code = l_code AND parent.status = 'A'
               AND SYSDATE BETWEEN parent.start_date AND NVL(parent.end_date, SYSDATE + 1)
             WHERE p.party_type IN ('ORGANIZATION', 'PERSON'))
     WHERE (P_PARTY_IDS IS NOT NULL AND party_id IN (SELECT column_value FROM TABLE(l_ids)))
        OR (P_PARTY_IDS IS NULL AND stamp >= P_LAST_UPDATE_FROM AND stamp < P_LAST_UPDATE_TO)
     ORDER BY stamp, party_id
    OFFSET NVL(P_OFFSET, 0) ROWS FETCH NEXT P_LIMIT + 1 ROWS ONLY;
    succeed(X_ROWS.COUNT, P_LIMIT, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    IF X_ROWS.COUNT > P_LIMIT THEN X_ROWS.DELETE(X_ROWS.LAST); END IF;
  EXCEPTION
    WHEN e_bad_input THEN fail('E', g_message, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    WHEN OTHERS THEN fail('U', SQLERRM, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  END GET_PARTIES;

  PROCEDURE GET_CUST_ACCOUNTS (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                               P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, X_ROWS OUT NOCOPY cust_account_tbl,
                               X_HAS_MORE OUT NOCOPY VARCHAR2, X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                               X_MSG_COUNT OUT NOCOPY NUMBER, X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids sys.odcinumberlist;
  BEGIN
    check_input(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS);
    l_ids := party_ids(P_PARTY_IDS);
    SELECT a.cust_account_id, a.party_id, a.account_number, a.account_name, a.status, a.customer_type,
           a.customer_class_code, a.creation_date, a.last_update_date
      BULK COLLECT INTO X_ROWS
      FROM hz_cust_accounts a
     WHERE (P_PARTY_IDS IS NOT NULL AND a.party_id IN (SELECT column_value FROM TABLE(l_ids)))
        OR (P_PARTY_IDS IS NULL AND a.last_update_date >= P_LAST_UPDATE_FROM AND a.last_update_date < P_LAST_UPDATE_TO)
     ORDER BY a.last_update_date, a.cust_account_id
    OFFSET NVL(P_OFFSET, 0) ROWS FETCH NEXT P_LIMIT + 1 ROWS ONLY;
    succeed(X_ROWS.COUNT, P_LIMIT, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    IF X_ROWS.COUNT > P_LIMIT THEN X_ROWS.DELETE(X_ROWS.LAST); END IF;
  EXCEPTION
    WHEN e_bad_input THEN fail('E', g_message, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    WHEN OTHERS THEN fail('U', SQLERRM, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  END GET_CUST_ACCOUNTS;

  PROCEDURE GET_PARTY_SITES (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                             P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, X_ROWS OUT NOCOPY party_site_tbl,
                             X_HAS_MORE OUT NOCOPY VARCHAR2, X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                             X_MSG_COUNT OUT NOCOPY NUMBER, X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids sys.odcinumberlist;
    l_org NUMBER := current_org;
  BEGIN
    check_input(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS);
    l_ids := party_ids(P_PARTY_IDS);
    SELECT party_site_id, party_id, party_site_number, party_site_name, identifying_address_flag, status,
           location_id, address1, address2, address3, address4, city, postal_code, state, province, county, country,
           cust_acct_site_id, cust_account_id, org_id, bill_to_flag, ship_to_flag, primary_bill_to_flag,
           site_use_codes, stamp
      BULK COLLECT INTO X_ROWS
      FROM (SELECT ps.party_site_id, ps.party_id, ps.party_site_number, ps.party_site_name,
                   ps.identifying_address_flag, ps.status, ps.location_id, l.address1, l.address2, l.address3,
                   l.address4, l.city, l.postal_code, l.state, l.province, l.county, l.country,
                   cas.cust_acct_site_id, cas.cust_account_id, cas.org_id, cas.bill_to_flag, cas.ship_to_flag,
                   NVL((SELECT 'Y' FROM hz_cust_site_uses_all u
                         WHERE u.cust_acct_site_id = cas.cust_acct_site_id AND u.site_use_code = 'BILL_TO'
                           AND u.primary_flag = 'Y' AND u.status = 'A' AND ROWNUM = 1), 'N') primary_bill_to_flag,
                   (SELECT LISTAGG(code, ',') WITHIN GROUP (ORDER BY code)
                      FROM (SELECT DISTINCT u.site_use_code code FROM hz_cust_site_uses_all u
                             WHERE u.cust_acct_site_id = cas.cust_acct_site_id AND u.status = 'A')) site_use_codes,
                   GREATEST(ps.last_update_date, l.last_update_date, NVL(cas.last_update_date, c_long_ago),
                            NVL((SELECT MAX(u.last_update_date) FROM hz_cust_site_uses_all u
                                  WHERE u.cust_acct_site_id = cas.cust_acct_site_id), c_long_ago)) stamp
              FROM hz_party_sites ps
              JOIN hz_locations l ON l.location_id = ps.location_id
              LEFT JOIN hz_cust_acct_sites_all cas
                ON cas.party_site_id = ps.party_site_id AND cas.status = 'A'
               AND (l_org IS NULL OR cas.org_id = l_org))
     WHERE (P_PARTY_IDS IS NOT NULL AND party_id IN (SELECT column_value FROM TABLE(l_ids)))
        OR (P_PARTY_IDS IS NULL AND stamp >= P_LAST_UPDATE_FROM AND stamp < P_LAST_UPDATE_TO)
     ORDER BY stamp, party_site_id
    OFFSET NVL(P_OFFSET, 0) ROWS FETCH NEXT P_LIMIT + 1 ROWS ONLY;
    succeed(X_ROWS.COUNT, P_LIMIT, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    IF X_ROWS.COUNT > P_LIMIT THEN X_ROWS.DELETE(X_ROWS.LAST); END IF;
  EXCEPTION
    WHEN e_bad_input THEN fail('E', g_message, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    WHEN OTHERS THEN fail('U', SQLERRM, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  END GET_PARTY_SITES;

  PROCEDURE GET_CONTACTS (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                          P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, X_ROWS OUT NOCOPY contact_tbl,
                          X_HAS_MORE OUT NOCOPY VARCHAR2, X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                          X_MSG_COUNT OUT NOCOPY NUMBER, X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids sys.odcinumberlist;
  BEGIN
    check_input(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS);
    l_ids := party_ids(P_PARTY_IDS);
    SELECT relationship_id, rel_party_id, contact_party_id, org_party_id, org_contact_id, contact_number,
           person_first_name, person_last_name, job_title, department, email_address, phone_number, mobile_number,
           status, stamp
      BULK COLLECT INTO X_ROWS
      FROM (SELECT r.relationship_id, r.party_id rel_party_id, r.subject_id contact_party_id,
                   r.object_id org_party_id, oc.org_contact_id, oc.contact_number, per.person_first_name,
                   per.person_last_name, oc.job_title, oc.department,
                   (SELECT MIN(cp.email_address) KEEP (DENSE_RANK FIRST ORDER BY cp.contact_point_id)
                      FROM hz_contact_points cp
                     WHERE cp.owner_table_name = 'HZ_PARTIES' AND cp.owner_table_id = r.party_id
                       AND cp.contact_point_type = 'EMAIL' AND cp.primary_flag = 'Y' AND cp.status = 'A') email_address,
                   (SELECT MIN(TRIM(REGEXP_REPLACE(NVL2(cp.phone_country_code, '+' || cp.phone_country_code, NULL)
                                    || ' ' || cp.phone_area_code || ' ' || cp.phone_number, ' +', ' ')))
                           KEEP (DENSE_RANK FIRST ORDER BY cp.contact_point_id)
                      FROM hz_contact_points cp
                     WHERE cp.owner_table_name = 'HZ_PARTIES' AND cp.owner_table_id = r.party_id
                       AND cp.contact_point_type = 'PHONE' AND cp.phone_line_type = 'GEN'
                       AND cp.primary_flag = 'Y' AND cp.status = 'A') phone_number,
                   (SELECT MIN(TRIM(REGEXP_REPLACE(NVL2(cp.phone_country_code, '+' || cp.phone_country_code, NULL)
                                    || ' ' || cp.phone_area_code || ' ' || cp.phone_number, ' +', ' ')))
                           KEEP (DENSE_RANK FIRST ORDER BY cp.contact_point_id)
                      FROM hz_contact_points cp
                     WHERE cp.owner_table_name = 'HZ_PARTIES' AND cp.owner_table_id = r.party_id
                       AND cp.contact_point_type = 'PHONE' AND cp.phone_line_type = 'MOBILE'
                       AND cp.primary_flag = 'Y' AND cp.status = 'A') mobile_number,
                   CASE WHEN r.status = 'A' AND oc.status = 'A' AND NVL(r.end_date, SYSDATE + 1) > SYSDATE
                        THEN 'A' ELSE 'I' END status,
                   GREATEST(r.last_update_date, per.last_update_date, oc.last_update_date,
                            NVL((SELECT MAX(cp.last_update_date) FROM hz_contact_points cp
                                  WHERE cp.owner_table_name = 'HZ_PARTIES' AND cp.owner_table_id = r.party_id),
                                c_long_ago)) stamp
              FROM hz_relationships r
              JOIN hz_parties per ON per.party_id = r.subject_id
              JOIN hz_org_contacts oc ON oc.party_relationship_id = r.relationship_id
             WHERE r.relationship_code = 'CONTACT_OF' AND r.directional_flag = 'F'
               AND r.subject_table_name = 'HZ_PARTIES' AND r.object_table_name = 'HZ_PARTIES')
     WHERE (P_PARTY_IDS IS NOT NULL AND org_party_id IN (SELECT column_value FROM TABLE(l_ids)))
        OR (P_PARTY_IDS IS NULL AND stamp >= P_LAST_UPDATE_FROM AND stamp < P_LAST_UPDATE_TO)
     ORDER BY stamp, relationship_id
    OFFSET NVL(P_OFFSET, 0) ROWS FETCH NEXT P_LIMIT + 1 ROWS ONLY;
    succeed(X_ROWS.COUNT, P_LIMIT, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    IF X_ROWS.COUNT > P_LIMIT THEN X_ROWS.DELETE(X_ROWS.LAST); END IF;
  EXCEPTION
    WHEN e_bad_input THEN fail('E', g_message, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    WHEN OTHERS THEN fail('U', SQLERRM, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  END GET_CONTACTS;

  PROCEDURE GET_VENDORS (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                         P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, X_ROWS OUT NOCOPY vendor_tbl,
                         X_HAS_MORE OUT NOCOPY VARCHAR2, X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                         X_MSG_COUNT OUT NOCOPY NUMBER, X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids sys.odcinumberlist;
  BEGIN
    check_input(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS);
    l_ids := party_ids(P_PARTY_IDS);
    SELECT s.vendor_id, s.segment1, s.vendor_name, s.vendor_name_alt, s.vendor_type_lookup_code, s.party_id,
           s.num_1099, s.vat_registration_num, s.enabled_flag, s.start_date_active, s.end_date_active,
           s.parent_vendor_id, parent.party_id, s.terms_id, s.creation_date, s.last_update_date
      BULK COLLECT INTO X_ROWS
      FROM ap_suppliers s
      LEFT JOIN ap_suppliers parent ON parent.vendor_id = s.parent_vendor_id
     WHERE (P_PARTY_IDS IS NOT NULL AND s.party_id IN (SELECT column_value FROM TABLE(l_ids)))
        OR (P_PARTY_IDS IS NULL AND s.last_update_date >= P_LAST_UPDATE_FROM AND s.last_update_date < P_LAST_UPDATE_TO)
     ORDER BY s.last_update_date, s.vendor_id
    OFFSET NVL(P_OFFSET, 0) ROWS FETCH NEXT P_LIMIT + 1 ROWS ONLY;
    succeed(X_ROWS.COUNT, P_LIMIT, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    IF X_ROWS.COUNT > P_LIMIT THEN X_ROWS.DELETE(X_ROWS.LAST); END IF;
  EXCEPTION
    WHEN e_bad_input THEN fail('E', g_message, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    WHEN OTHERS THEN fail('U', SQLERRM, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  END GET_VENDORS;

  PROCEDURE GET_VENDOR_SITES (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                              P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, X_ROWS OUT NOCOPY vendor_site_tbl,
                              X_HAS_MORE OUT NOCOPY VARCHAR2, X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                              X_MSG_COUNT OUT NOCOPY NUMBER, X_MSG_DATA OUT NOCOPY VARCHAR2) IS
    l_ids sys.odcinumberlist;
    l_org NUMBER := current_org;
  BEGIN
    check_input(P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO, P_OFFSET, P_LIMIT, P_PARTY_IDS);
    l_ids := party_ids(P_PARTY_IDS);
    SELECT ss.vendor_site_id, ss.vendor_id, s.party_id, ss.vendor_site_code, ss.org_id, ss.address_line1,
           ss.address_line2, ss.address_line3, ss.address_line4, ss.city, ss.state, ss.zip, ss.province, ss.country,
           ss.pay_site_flag, ss.purchasing_site_flag, ss.primary_pay_site_flag, ss.inactive_date, ss.email_address,
           ss.area_code, ss.phone, ss.last_update_date
      BULK COLLECT INTO X_ROWS
      FROM ap_supplier_sites_all ss
      JOIN ap_suppliers s ON s.vendor_id = ss.vendor_id
     WHERE (l_org IS NULL OR ss.org_id = l_org)
       AND ((P_PARTY_IDS IS NOT NULL AND s.party_id IN (SELECT column_value FROM TABLE(l_ids)))
        OR (P_PARTY_IDS IS NULL AND ss.last_update_date >= P_LAST_UPDATE_FROM
            AND ss.last_update_date < P_LAST_UPDATE_TO))
     ORDER BY ss.last_update_date, ss.vendor_site_id
    OFFSET NVL(P_OFFSET, 0) ROWS FETCH NEXT P_LIMIT + 1 ROWS ONLY;
    succeed(X_ROWS.COUNT, P_LIMIT, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    IF X_ROWS.COUNT > P_LIMIT THEN X_ROWS.DELETE(X_ROWS.LAST); END IF;
  EXCEPTION
    WHEN e_bad_input THEN fail('E', g_message, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
    WHEN OTHERS THEN fail('U', SQLERRM, X_HAS_MORE, X_RETURN_STATUS, X_MSG_COUNT, X_MSG_DATA);
  END GET_VENDOR_SITES;

END XXMLC_SYNC_PKG;
/
