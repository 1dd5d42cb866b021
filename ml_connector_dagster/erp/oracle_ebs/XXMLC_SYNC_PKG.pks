CREATE OR REPLACE PACKAGE XXMLC_SYNC_PKG AUTHID DEFINER AS
/* $Header: XXMLC_SYNC_PKG.pks 120.3 2026/12/07 00:00:00 ml-connector-dagster ship $ */
/*#
 * Read-only change feed of Trading Community customers and of suppliers for the ml-connector-dagster sync to
 * Dynamics 365 Sales. Every procedure returns either the rows whose change stamp lies in
 * [P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO) or the rows of the parties listed in P_PARTY_IDS, ordered by change
 * stamp and row key and paged with P_OFFSET and P_LIMIT. No procedure inserts, updates or commits anything.
 * @rep:scope public
 * @rep:product AR
 * @rep:lifecycle active
 * @rep:displayname ML Connector Sync Read Service
 * @rep:compatibility S
 * @rep:category BUSINESS_ENTITY HZ_PARTY
 */

  -- Every row field is VARCHAR2, so ISG renders every value as a JSON string (numbers and dates included) and the
  -- date format is fixed by the package (YYYY-MM-DD"T"HH24:MI:SS, database server time) rather than by ISG.
  -- Sizes are at least those of the R12.2 columns (some supplier-site columns are rounded up because their width
  -- has changed between releases): a value longer than its field would fail the call with ORA-06502.
  -- Identifiers and dates get room for their text form.
  -- The tables are INDEX BY BINARY_INTEGER like the record tables of the seeded public APIs, which ISG renders as
  -- {"X_ROWS": {"X_ROWS_ITEM": [...]}}.
  -- The business entity is declared once, at package level: the Integration Repository cannot hold custom business
  -- entities, and the supplier procedures read suppliers as TCA parties (AP_SUPPLIERS.PARTY_ID).

  TYPE party_rec IS RECORD (
    PARTY_ID                   VARCHAR2(40),
    PARTY_NUMBER               VARCHAR2(30),
    PARTY_NAME                 VARCHAR2(360),
    PARTY_TYPE                 VARCHAR2(30),
    STATUS                     VARCHAR2(1),
    PERSON_FIRST_NAME          VARCHAR2(150),
    PERSON_LAST_NAME           VARCHAR2(150),
    JGZZ_FISCAL_CODE           VARCHAR2(20),
    TAX_REFERENCE              VARCHAR2(50),
    EMAIL_ADDRESS              VARCHAR2(2000),
    PRIMARY_PHONE_COUNTRY_CODE VARCHAR2(10),
    PRIMARY_PHONE_AREA_CODE    VARCHAR2(10),
    PRIMARY_PHONE_NUMBER       VARCHAR2(40),
    URL                        VARCHAR2(2000),
    ADDRESS1                   VARCHAR2(240),
    ADDRESS2                   VARCHAR2(240),
    ADDRESS3                   VARCHAR2(240),
    ADDRESS4                   VARCHAR2(240),
    CITY                       VARCHAR2(60),
    POSTAL_CODE                VARCHAR2(60),
    STATE                      VARCHAR2(60),
    PROVINCE                   VARCHAR2(60),
    COUNTRY                    VARCHAR2(60),
    PARENT_PARTY_ID            VARCHAR2(40),
    OBJECT_VERSION_NUMBER      VARCHAR2(40),
    CREATION_DATE              VARCHAR2(30),
    LAST_UPDATE_DATE           VARCHAR2(30));
  TYPE party_tbl IS TABLE OF party_rec INDEX BY BINARY_INTEGER;

  TYPE cust_account_rec IS RECORD (
    CUST_ACCOUNT_ID     VARCHAR2(40),
    PARTY_ID            VARCHAR2(40),
    ACCOUNT_NUMBER      VARCHAR2(30),
    ACCOUNT_NAME        VARCHAR2(240),
    STATUS              VARCHAR2(1),
    CUSTOMER_TYPE       VARCHAR2(30),
    CUSTOMER_CLASS_CODE VARCHAR2(30),
    CREATION_DATE       VARCHAR2(30),
    LAST_UPDATE_DATE    VARCHAR2(30));
  TYPE cust_account_tbl IS TABLE OF cust_account_rec INDEX BY BINARY_INTEGER;

  TYPE party_site_rec IS RECORD (
    PARTY_SITE_ID            VARCHAR2(40),
    PARTY_ID                 VARCHAR2(40),
    PARTY_SITE_NUMBER        VARCHAR2(30),
    PARTY_SITE_NAME          VARCHAR2(240),
    IDENTIFYING_ADDRESS_FLAG VARCHAR2(1),
    STATUS                   VARCHAR2(1),
    LOCATION_ID              VARCHAR2(40),
    ADDRESS1                 VARCHAR2(240),
    ADDRESS2                 VARCHAR2(240),
    ADDRESS3                 VARCHAR2(240),
    ADDRESS4                 VARCHAR2(240),
    CITY                     VARCHAR2(60),
    POSTAL_CODE              VARCHAR2(60),
    STATE                    VARCHAR2(60),
    PROVINCE                 VARCHAR2(60),
    COUNTY                   VARCHAR2(60),
    COUNTRY                  VARCHAR2(60),
    CUST_ACCT_SITE_ID        VARCHAR2(40),
    CUST_ACCOUNT_ID          VARCHAR2(40),
    ORG_ID                   VARCHAR2(40),
    BILL_TO_FLAG             VARCHAR2(1),
    SHIP_TO_FLAG             VARCHAR2(1),
    PRIMARY_BILL_TO_FLAG     VARCHAR2(1),
    SITE_USE_CODES           VARCHAR2(2000),
    LAST_UPDATE_DATE         VARCHAR2(30));
  TYPE party_site_tbl IS TABLE OF party_site_rec INDEX BY BINARY_INTEGER;

  TYPE contact_rec IS RECORD (
    RELATIONSHIP_ID   VARCHAR2(40),
    REL_PARTY_ID      VARCHAR2(40),
    CONTACT_PARTY_ID  VARCHAR2(40),
    ORG_PARTY_ID      VARCHAR2(40),
    ORG_CONTACT_ID    VARCHAR2(40),
    CONTACT_NUMBER    VARCHAR2(30),
    PERSON_FIRST_NAME VARCHAR2(150),
    PERSON_LAST_NAME  VARCHAR2(150),
    JOB_TITLE         VARCHAR2(100),
    DEPARTMENT        VARCHAR2(60),
    EMAIL_ADDRESS     VARCHAR2(2000),
    PHONE_NUMBER      VARCHAR2(100),
    MOBILE_NUMBER     VARCHAR2(100),
    STATUS            VARCHAR2(1),
    END_DATE          VARCHAR2(30),
    LAST_UPDATE_DATE  VARCHAR2(30));
  TYPE contact_tbl IS TABLE OF contact_rec INDEX BY BINARY_INTEGER;

  TYPE vendor_rec IS RECORD (
    VENDOR_ID               VARCHAR2(40),
    SEGMENT1                VARCHAR2(30),
    VENDOR_NAME             VARCHAR2(240),
    VENDOR_NAME_ALT         VARCHAR2(320),
    VENDOR_TYPE_LOOKUP_CODE VARCHAR2(30),
    PARTY_ID                VARCHAR2(40),
    NUM_1099                VARCHAR2(30),
    VAT_REGISTRATION_NUM    VARCHAR2(50),
    ENABLED_FLAG            VARCHAR2(1),
    START_DATE_ACTIVE       VARCHAR2(30),
    END_DATE_ACTIVE         VARCHAR2(30),
    PARENT_VENDOR_ID        VARCHAR2(40),
    PARENT_VENDOR_PARTY_ID  VARCHAR2(40),
    TERMS_ID                VARCHAR2(40),
    CREATION_DATE           VARCHAR2(30),
    LAST_UPDATE_DATE        VARCHAR2(30));
  TYPE vendor_tbl IS TABLE OF vendor_rec INDEX BY BINARY_INTEGER;

  TYPE vendor_site_rec IS RECORD (
    VENDOR_SITE_ID        VARCHAR2(40),
    VENDOR_ID             VARCHAR2(40),
    PARTY_ID              VARCHAR2(40),
    VENDOR_SITE_CODE      VARCHAR2(30),
    ORG_ID                VARCHAR2(40),
    ADDRESS_LINE1         VARCHAR2(240),
    ADDRESS_LINE2         VARCHAR2(240),
    ADDRESS_LINE3         VARCHAR2(240),
    ADDRESS_LINE4         VARCHAR2(240),
    CITY                  VARCHAR2(60),
    STATE                 VARCHAR2(150),
    ZIP                   VARCHAR2(60),
    PROVINCE              VARCHAR2(150),
    COUNTRY               VARCHAR2(60),
    PAY_SITE_FLAG         VARCHAR2(1),
    PURCHASING_SITE_FLAG  VARCHAR2(1),
    PRIMARY_PAY_SITE_FLAG VARCHAR2(1),
    INACTIVE_DATE         VARCHAR2(30),
    EMAIL_ADDRESS         VARCHAR2(2000),
    AREA_CODE             VARCHAR2(20),
    PHONE                 VARCHAR2(40),
    LAST_UPDATE_DATE      VARCHAR2(30));
  TYPE vendor_site_tbl IS TABLE OF vendor_site_rec INDEX BY BINARY_INTEGER;

/*#
 * Returns organization and person parties (HZ_PARTIES) with the parent party of the customer hierarchy.
 * @param P_LAST_UPDATE_FROM Start of the change window, inclusive, in database server time
 * @param P_LAST_UPDATE_TO End of the change window, exclusive, in database server time
 * @param P_OFFSET Number of rows to skip, 0 or more
 * @param P_LIMIT Number of rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated PARTY_IDs, at most 1000; when given the window is ignored and these parties are returned
 * @param P_PARENT_REL_CODE HZ_RELATIONSHIPS.RELATIONSHIP_CODE whose forward row links a child party to its parent
 * @param P_AFTER_PARTY_ID When given (and P_PARTY_IDS not), the window is ignored and the parties with a greater PARTY_ID are returned in PARTY_ID order: the initial load reads every party this way, page after page
 * @param X_ROWS The rows of the page
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT, else N
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Parties
 */
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
                         X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Returns customer accounts (HZ_CUST_ACCOUNTS).
 * @param P_LAST_UPDATE_FROM Start of the change window, inclusive, in database server time
 * @param P_LAST_UPDATE_TO End of the change window, exclusive, in database server time
 * @param P_OFFSET Number of rows to skip, 0 or more
 * @param P_LIMIT Number of rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated PARTY_IDs, at most 1000; when given the window is ignored and the accounts of these parties are returned
 * @param X_ROWS The rows of the page
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT, else N
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Customer Accounts
 */
  PROCEDURE GET_CUST_ACCOUNTS (P_LAST_UPDATE_FROM IN DATE,
                               P_LAST_UPDATE_TO IN DATE,
                               P_OFFSET IN NUMBER,
                               P_LIMIT IN NUMBER,
                               P_PARTY_IDS IN VARCHAR2,
                               X_ROWS OUT NOCOPY cust_account_tbl,
                               X_HAS_MORE OUT NOCOPY VARCHAR2,
                               X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                               X_MSG_COUNT OUT NOCOPY NUMBER,
                               X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Returns party sites with their location, the active customer account site in the operating units of the request and that account site's site uses.
 * @param P_LAST_UPDATE_FROM Start of the change window, inclusive, in database server time
 * @param P_LAST_UPDATE_TO End of the change window, exclusive, in database server time
 * @param P_OFFSET Number of rows to skip, 0 or more
 * @param P_LIMIT Number of rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated PARTY_IDs, at most 1000; when given the window is ignored and the sites of these parties are returned
 * @param X_ROWS The rows of the page
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT, else N
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Party Sites
 */
  PROCEDURE GET_PARTY_SITES (P_LAST_UPDATE_FROM IN DATE,
                             P_LAST_UPDATE_TO IN DATE,
                             P_OFFSET IN NUMBER,
                             P_LIMIT IN NUMBER,
                             P_PARTY_IDS IN VARCHAR2,
                             X_ROWS OUT NOCOPY party_site_tbl,
                             X_HAS_MORE OUT NOCOPY VARCHAR2,
                             X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                             X_MSG_COUNT OUT NOCOPY NUMBER,
                             X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Returns organization contacts: CONTACT_OF relationships (forward row) with the person, the org contact and the primary email, phone and mobile of the relationship party; those changed in the window and those whose relationship END_DATE falls in it (they stop being contacts that day without an edit). STATUS is I when the relationship or the org contact is inactive; whether END_DATE has passed is the caller's to judge, against this server's time (the answer's HTTP Date header).
 * @param P_LAST_UPDATE_FROM Start of the change window, inclusive, in database server time
 * @param P_LAST_UPDATE_TO End of the change window, exclusive, in database server time
 * @param P_OFFSET Number of rows to skip, 0 or more
 * @param P_LIMIT Number of rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated organization PARTY_IDs, at most 1000; when given the window is ignored and the contacts of these organizations are returned
 * @param X_ROWS The rows of the page
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT, else N
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Contacts
 */
  PROCEDURE GET_CONTACTS (P_LAST_UPDATE_FROM IN DATE,
                          P_LAST_UPDATE_TO IN DATE,
                          P_OFFSET IN NUMBER,
                          P_LIMIT IN NUMBER,
                          P_PARTY_IDS IN VARCHAR2,
                          X_ROWS OUT NOCOPY contact_tbl,
                          X_HAS_MORE OUT NOCOPY VARCHAR2,
                          X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                          X_MSG_COUNT OUT NOCOPY NUMBER,
                          X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Returns suppliers (AP_SUPPLIERS) with the party of the parent supplier: those changed in the window and those
 * whose END_DATE_ACTIVE falls in it (they stop being active that day without an edit).
 * @param P_LAST_UPDATE_FROM Start of the change window, inclusive, in database server time
 * @param P_LAST_UPDATE_TO End of the change window, exclusive, in database server time
 * @param P_OFFSET Number of rows to skip, 0 or more
 * @param P_LIMIT Number of rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated PARTY_IDs, at most 1000; when given the window is ignored and the suppliers of these parties are returned
 * @param X_ROWS The rows of the page
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT, else N
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Suppliers
 */
  PROCEDURE GET_VENDORS (P_LAST_UPDATE_FROM IN DATE,
                         P_LAST_UPDATE_TO IN DATE,
                         P_OFFSET IN NUMBER,
                         P_LIMIT IN NUMBER,
                         P_PARTY_IDS IN VARCHAR2,
                         X_ROWS OUT NOCOPY vendor_tbl,
                         X_HAS_MORE OUT NOCOPY VARCHAR2,
                         X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                         X_MSG_COUNT OUT NOCOPY NUMBER,
                         X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Returns supplier sites (AP_SUPPLIER_SITES_ALL) in the operating units of the request, with the supplier's party:
 * those changed in the window and those whose INACTIVE_DATE falls in it.
 * @param P_LAST_UPDATE_FROM Start of the change window, inclusive, in database server time
 * @param P_LAST_UPDATE_TO End of the change window, exclusive, in database server time
 * @param P_OFFSET Number of rows to skip, 0 or more
 * @param P_LIMIT Number of rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated supplier PARTY_IDs, at most 1000; when given the window is ignored and the sites of these suppliers are returned
 * @param X_ROWS The rows of the page
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT, else N
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Supplier Sites
 */
  PROCEDURE GET_VENDOR_SITES (P_LAST_UPDATE_FROM IN DATE,
                              P_LAST_UPDATE_TO IN DATE,
                              P_OFFSET IN NUMBER,
                              P_LIMIT IN NUMBER,
                              P_PARTY_IDS IN VARCHAR2,
                              X_ROWS OUT NOCOPY vendor_site_tbl,
                              X_HAS_MORE OUT NOCOPY VARCHAR2,
                              X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                              X_MSG_COUNT OUT NOCOPY NUMBER,
                              X_MSG_DATA OUT NOCOPY VARCHAR2);

END XXMLC_SYNC_PKG;
/
