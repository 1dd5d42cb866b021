CREATE OR REPLACE PACKAGE XXMLC_SYNC_PKG AUTHID DEFINER AS
/* $Header: XXMLC_SYNC_PKG.pks 120.5 2027/02/01 00:00:00 ml-connector-dagster ship $ */
/*#
 * Change feed of Trading Community customers, suppliers, purchase orders and GL code combinations for the
 * ml-connector-dagster sync, and the import of its General Ledger journals. Every GET_ procedure returns either the
 * rows whose change stamp lies in [P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO) or the rows of the ids it is given,
 * ordered by change stamp and row key and paged with P_OFFSET and P_LIMIT; none of them writes. POST_JOURNALS, the
 * one write, inserts journals into GL_INTERFACE and runs Journal Import on them, each journal once per reference.
 * @rep:scope public
 * @rep:product AR
 * @rep:lifecycle active
 * @rep:displayname ML Connector Sync Service
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

  -- The records carry SEGMENT1 to SEGMENT10 of the Accounting Flexfield: a chart uses up to 30 segment columns, and
  -- charts of more than ten are rare. A site whose chart uses SEGMENT11 or later adds the fields here and in the
  -- SELECTs of the body (the columns of GL_CODE_COMBINATIONS, GL_INTERFACE and the records are named alike).
  TYPE code_combination_rec IS RECORD (
    CODE_COMBINATION_ID         VARCHAR2(40),
    CHART_OF_ACCOUNTS_ID        VARCHAR2(40),
    SEGMENT1                    VARCHAR2(25),
    SEGMENT2                    VARCHAR2(25),
    SEGMENT3                    VARCHAR2(25),
    SEGMENT4                    VARCHAR2(25),
    SEGMENT5                    VARCHAR2(25),
    SEGMENT6                    VARCHAR2(25),
    SEGMENT7                    VARCHAR2(25),
    SEGMENT8                    VARCHAR2(25),
    SEGMENT9                    VARCHAR2(25),
    SEGMENT10                   VARCHAR2(25),
    CONCATENATED_SEGMENTS       VARCHAR2(800),
    SEGMENT1_DESC               VARCHAR2(240),
    SEGMENT2_DESC               VARCHAR2(240),
    SEGMENT3_DESC               VARCHAR2(240),
    SEGMENT4_DESC               VARCHAR2(240),
    SEGMENT5_DESC               VARCHAR2(240),
    SEGMENT6_DESC               VARCHAR2(240),
    SEGMENT7_DESC               VARCHAR2(240),
    SEGMENT8_DESC               VARCHAR2(240),
    SEGMENT9_DESC               VARCHAR2(240),
    SEGMENT10_DESC              VARCHAR2(240),
    ACCOUNT_TYPE                VARCHAR2(1),
    ENABLED_FLAG                VARCHAR2(1),
    SUMMARY_FLAG                VARCHAR2(1),
    DETAIL_POSTING_ALLOWED_FLAG VARCHAR2(1),
    START_DATE_ACTIVE           VARCHAR2(30),
    END_DATE_ACTIVE             VARCHAR2(30),
    LAST_UPDATE_DATE            VARCHAR2(30));
  TYPE code_combination_tbl IS TABLE OF code_combination_rec INDEX BY BINARY_INTEGER;

  TYPE purchase_order_rec IS RECORD (
    PO_HEADER_ID         VARCHAR2(40),
    SEGMENT1             VARCHAR2(20),
    TYPE_LOOKUP_CODE     VARCHAR2(25),
    VENDOR_ID            VARCHAR2(40),
    VENDOR_SITE_ID       VARCHAR2(40),
    ORG_ID               VARCHAR2(40),
    CURRENCY_CODE        VARCHAR2(15),
    AUTHORIZATION_STATUS VARCHAR2(25),
    APPROVED_FLAG        VARCHAR2(1),
    APPROVED_DATE        VARCHAR2(30),
    CLOSED_CODE          VARCHAR2(25),
    CANCEL_FLAG          VARCHAR2(1),
    COMMENTS             VARCHAR2(240),
    ATTRIBUTE1           VARCHAR2(150),
    ATTRIBUTE2           VARCHAR2(150),
    ATTRIBUTE3           VARCHAR2(150),
    ATTRIBUTE4           VARCHAR2(150),
    ATTRIBUTE5           VARCHAR2(150),
    CREATION_DATE        VARCHAR2(30),
    LAST_UPDATE_DATE     VARCHAR2(30));
  TYPE purchase_order_tbl IS TABLE OF purchase_order_rec INDEX BY BINARY_INTEGER;

  TYPE po_distribution_rec IS RECORD (
    PO_HEADER_ID          VARCHAR2(40),
    PO_LINE_ID            VARCHAR2(40),
    LINE_NUM              VARCHAR2(40),
    ITEM_DESCRIPTION      VARCHAR2(240),
    UNIT_MEAS_LOOKUP_CODE VARCHAR2(25),
    UNIT_PRICE            VARCHAR2(60),
    LINE_CANCEL_FLAG      VARCHAR2(1),
    PO_DISTRIBUTION_ID    VARCHAR2(40),
    DISTRIBUTION_NUM      VARCHAR2(40),
    QUANTITY_ORDERED      VARCHAR2(60),
    QUANTITY_CANCELLED    VARCHAR2(60),
    CODE_COMBINATION_ID   VARCHAR2(40),
    SEGMENT1              VARCHAR2(25),
    SEGMENT2              VARCHAR2(25),
    SEGMENT3              VARCHAR2(25),
    SEGMENT4              VARCHAR2(25),
    SEGMENT5              VARCHAR2(25),
    SEGMENT6              VARCHAR2(25),
    SEGMENT7              VARCHAR2(25),
    SEGMENT8              VARCHAR2(25),
    SEGMENT9              VARCHAR2(25),
    SEGMENT10             VARCHAR2(25),
    LAST_UPDATE_DATE      VARCHAR2(30));
  TYPE po_distribution_tbl IS TABLE OF po_distribution_rec INDEX BY BINARY_INTEGER;

  -- A journal line as GET_JOURNALS returns it, and as POST_JOURNALS takes it: every field text, parsed by the
  -- package, so that a bad value refuses its journal rather than failing the whole call in ISG's binding.
  TYPE journal_line_rec IS RECORD (
    CODE_COMBINATION_ID VARCHAR2(40),
    SEGMENT1            VARCHAR2(25),
    SEGMENT2            VARCHAR2(25),
    SEGMENT3            VARCHAR2(25),
    SEGMENT4            VARCHAR2(25),
    SEGMENT5            VARCHAR2(25),
    SEGMENT6            VARCHAR2(25),
    SEGMENT7            VARCHAR2(25),
    SEGMENT8            VARCHAR2(25),
    SEGMENT9            VARCHAR2(25),
    SEGMENT10           VARCHAR2(25),
    ENTERED_DR          VARCHAR2(60),
    ENTERED_CR          VARCHAR2(60),
    DESCRIPTION         VARCHAR2(240));
  TYPE journal_line_tbl IS TABLE OF journal_line_rec INDEX BY BINARY_INTEGER;

  TYPE journal_rec IS RECORD (
    REFERENCE     VARCHAR2(240),
    JE_HEADER_ID  VARCHAR2(40),
    STATUS        VARCHAR2(50),
    MESSAGE       VARCHAR2(2000),
    PERIOD_NAME   VARCHAR2(15),
    CURRENCY_CODE VARCHAR2(15),
    LINES         journal_line_tbl);
  TYPE journal_tbl IS TABLE OF journal_rec INDEX BY BINARY_INTEGER;

  -- The text fields are wider than what they are stored in, so a value too long is the package's to refuse, for its
  -- journal, and not ISG's, for the call.
  TYPE journal_in_rec IS RECORD (
    REFERENCE             VARCHAR2(2000),
    USER_JE_SOURCE_NAME   VARCHAR2(2000),
    USER_JE_CATEGORY_NAME VARCHAR2(2000),
    ACCOUNTING_DATE       VARCHAR2(2000),
    CURRENCY_CODE         VARCHAR2(2000),
    JOURNAL_NAME          VARCHAR2(2000),
    JOURNAL_DESCRIPTION   VARCHAR2(2000),
    BATCH_NAME            VARCHAR2(2000),
    LINES                 journal_line_tbl);
  TYPE journal_in_tbl IS TABLE OF journal_in_rec INDEX BY BINARY_INTEGER;

  TYPE journal_result_rec IS RECORD (
    REFERENCE    VARCHAR2(240),
    STATUS       VARCHAR2(1),
    JE_HEADER_ID VARCHAR2(40),
    ERROR_CODE   VARCHAR2(50),
    MESSAGE      VARCHAR2(2000));
  TYPE journal_result_tbl IS TABLE OF journal_result_rec INDEX BY BINARY_INTEGER;

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

/*#
 * Returns Accounting Flexfield code combinations (GL_CODE_COMBINATIONS_KFV) with the description of each segment
 * value: those whose change stamp lies in the window (the combination's LAST_UPDATE_DATE or that of one of its
 * segment values, whose description may have changed) and those whose END_DATE_ACTIVE falls in it.
 * @param P_LAST_UPDATE_FROM Start of the change window, inclusive, in database server time
 * @param P_LAST_UPDATE_TO End of the change window, exclusive, in database server time
 * @param P_OFFSET Number of rows to skip, 0 or more
 * @param P_LIMIT Number of rows to return, 1 to 1000
 * @param P_CCIDS Comma-separated CODE_COMBINATION_IDs, at most 1000; when given the window is ignored and these combinations are returned
 * @param P_AFTER_CCID When given (and P_CCIDS not), the window is ignored and the combinations with a greater CODE_COMBINATION_ID are returned in that order: the initial load reads every combination this way
 * @param P_LEDGER_ID When given, only the combinations of this ledger's chart of accounts
 * @param X_ROWS The rows of the page
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT, else N
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Code Combinations
 */
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
                                   X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Returns purchase orders (PO_HEADERS_ALL: standard, blanket, contract and planned) in the operating units of the
 * request; the change stamp is the latest LAST_UPDATE_DATE of the header, its lines and its distributions.
 * @param P_LAST_UPDATE_FROM Start of the change window, inclusive, in database server time
 * @param P_LAST_UPDATE_TO End of the change window, exclusive, in database server time
 * @param P_OFFSET Number of rows to skip, 0 or more
 * @param P_LIMIT Number of rows to return, 1 to 1000
 * @param P_PO_HEADER_IDS Comma-separated PO_HEADER_IDs, at most 1000; when given the window is ignored and these orders are returned
 * @param P_AFTER_PO_HEADER_ID When given (and P_PO_HEADER_IDS not), the window is ignored and the orders with a greater PO_HEADER_ID are returned in that order: the initial load reads every order this way
 * @param X_ROWS The rows of the page
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT, else N
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Purchase Orders
 */
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
                                 X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Returns the distributions of the purchase orders given, one row per distribution with its line and the segments
 * of its charge account, ordered by order, line number and distribution number.
 * @param P_OFFSET Number of rows to skip, 0 or more
 * @param P_LIMIT Number of rows to return, 1 to 1000
 * @param P_PO_HEADER_IDS Comma-separated PO_HEADER_IDs, at most 1000 (required)
 * @param X_ROWS The rows of the page
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT, else N
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Purchase Order Distributions
 */
  PROCEDURE GET_PO_DISTRIBUTIONS (P_OFFSET IN NUMBER,
                                  P_LIMIT IN NUMBER,
                                  P_PO_HEADER_IDS IN VARCHAR2,
                                  X_ROWS OUT NOCOPY po_distribution_tbl,
                                  X_HAS_MORE OUT NOCOPY VARCHAR2,
                                  X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                                  X_MSG_COUNT OUT NOCOPY NUMBER,
                                  X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Returns how many rows the window read of one GET_ procedure returns and an order-independent hash of them (the sum
 * of a hash of each row's key and LAST_UPDATE_DATE, and for GET_PARTIES its PARENT_PARTY_ID), computed from the rows
 * that procedure returns for the same window and parameters: one light call instead of the pages of the window, so
 * that a caller who loaded the window before can tell whether it changed since. Reads only, like the procedure.
 * @param P_METHOD The window procedure: GET_PARTIES, GET_CUST_ACCOUNTS, GET_PARTY_SITES, GET_CONTACTS, GET_VENDORS, GET_VENDOR_SITES, GET_CODE_COMBINATIONS or GET_PURCHASE_ORDERS
 * @param P_LAST_UPDATE_FROM Start of the change window, inclusive, in database server time
 * @param P_LAST_UPDATE_TO End of the change window, exclusive, in database server time
 * @param P_PARENT_REL_CODE Passed on to GET_PARTIES
 * @param P_LEDGER_ID Passed on to GET_CODE_COMBINATIONS
 * @param X_ROW_COUNT The number of rows in the window
 * @param X_DIGEST The sum of the rows' hashes
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Window Digest
 */
  PROCEDURE GET_WINDOW_DIGEST (P_METHOD IN VARCHAR2,
                               P_LAST_UPDATE_FROM IN DATE,
                               P_LAST_UPDATE_TO IN DATE,
                               P_PARENT_REL_CODE IN VARCHAR2 DEFAULT NULL,
                               P_LEDGER_ID IN NUMBER DEFAULT NULL,
                               X_ROW_COUNT OUT NOCOPY VARCHAR2,
                               X_DIGEST OUT NOCOPY VARCHAR2,
                               X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                               X_MSG_COUNT OUT NOCOPY NUMBER,
                               X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Returns the journals posted under the references given or starting with one of the prefixes, one row per reference ordered
 * by reference: the imported journal (STATUS POSTED or UNPOSTED, with its JE_HEADER_ID), else its rows waiting in
 * GL_INTERFACE (STATUS NEW) or refused there (STATUS the error code, MESSAGE the reason).
 * @param P_OFFSET Number of rows to skip, 0 or more
 * @param P_LIMIT Number of rows to return, 1 to 1000
 * @param P_REFERENCES Comma-separated references, at most 100
 * @param P_REFERENCE_PREFIXES When P_REFERENCES is not given: comma-separated prefixes, at most 100; the references
 *        starting with any of them
 * @param P_LEDGER_ID When given, only the journals of this ledger
 * @param X_ROWS The rows of the page
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT, else N
 * @param X_RETURN_STATUS S success, E invalid input, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Journals
 */
  PROCEDURE GET_JOURNALS (P_OFFSET IN NUMBER,
                          P_LIMIT IN NUMBER,
                          P_REFERENCES IN VARCHAR2,
                          P_REFERENCE_PREFIXES IN VARCHAR2 DEFAULT NULL,
                          P_LEDGER_ID IN NUMBER DEFAULT NULL,
                          X_ROWS OUT NOCOPY journal_tbl,
                          X_HAS_MORE OUT NOCOPY VARCHAR2,
                          X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                          X_MSG_COUNT OUT NOCOPY NUMBER,
                          X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Imports General Ledger journals, each on its own: a journal whose reference the ledger already holds (imported,
 * or waiting in GL_INTERFACE) is answered D with its JE_HEADER_ID and nothing is inserted; the others are checked
 * as Journal Import checks them, inserted into GL_INTERFACE and imported by Journal Import (GLLEZL), or, refused,
 * left in GL_INTERFACE with the error code in STATUS. Needs a General Ledger responsibility whose data access set
 * holds the ledger. Commits.
 * @param P_LEDGER_ID The ledger (GL_LEDGERS.LEDGER_ID)
 * @param P_JOURNALS The journals, at most 100
 * @param X_RESULTS One result per journal, in order: REFERENCE, STATUS S imported, D posted before, E refused, JE_HEADER_ID, ERROR_CODE, MESSAGE
 * @param X_RETURN_STATUS S the journals were processed (each has its result), E invalid call, U unexpected error
 * @param X_MSG_COUNT Number of messages in X_MSG_DATA, 0 or 1
 * @param X_MSG_DATA The error message when X_RETURN_STATUS is not S
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Post Journals
 */
  PROCEDURE POST_JOURNALS (P_LEDGER_ID IN NUMBER,
                           P_JOURNALS IN journal_in_tbl,
                           X_RESULTS OUT NOCOPY journal_result_tbl,
                           X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                           X_MSG_COUNT OUT NOCOPY NUMBER,
                           X_MSG_DATA OUT NOCOPY VARCHAR2);

  -- Not a service operation (no @rep annotations, so the Integration Repository does not expose it): public only
  -- because GET_JOURNALS calls it inside SQL, which cannot call a function private to the package body.
  -- A reference prefix as a LIKE pattern (ESCAPE '\') matching exactly the references that start with it.
  FUNCTION like_prefix (p_prefix IN VARCHAR2) RETURN VARCHAR2 DETERMINISTIC;

END XXMLC_SYNC_PKG;
/
