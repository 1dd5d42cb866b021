CREATE OR REPLACE PACKAGE XXMLC_SYNC_PKG AUTHID DEFINER AS
/* $Header: XXMLC_SYNC_PKG.pks 1.0 2026/11/22 ml-connector-dagster $ */
/*#
 * Read-only change feed of customers (TCA) and suppliers for ml-connector-dagster. Every procedure returns the
 * rows whose change stamp lies in [P_LAST_UPDATE_FROM, P_LAST_UPDATE_TO), or the rows of the parties listed in
 * P_PARTY_IDS, ordered by (change stamp, key) and paged with P_OFFSET / P_LIMIT. No procedure writes anything.
 * Contract: docs/contributors/oracle_ebs_service_contract.md in the connector's repository.
 * @rep:scope public
 * @rep:product AR
 * @rep:lifecycle active
 * @rep:displayname ML Connector Sync Read Service
 * @rep:compatibility S
 * @rep:category BUSINESS_ENTITY HZ_PARTY
 */

  TYPE party_rec IS RECORD (
    PARTY_ID NUMBER, PARTY_NUMBER VARCHAR2(30), PARTY_NAME VARCHAR2(360), PARTY_TYPE VARCHAR2(30),
    STATUS VARCHAR2(1), PERSON_FIRST_NAME VARCHAR2(150), PERSON_LAST_NAME VARCHAR2(150),
    JGZZ_FISCAL_CODE VARCHAR2(20), TAX_REFERENCE VARCHAR2(50), EMAIL_ADDRESS VARCHAR2(2000),
    PRIMARY_PHONE_COUNTRY_CODE VARCHAR2(10), PRIMARY_PHONE_AREA_CODE VARCHAR2(10), PRIMARY_PHONE_NUMBER VARCHAR2(40),
    URL VARCHAR2(2000), ADDRESS1 VARCHAR2(240), ADDRESS2 VARCHAR2(240), ADDRESS3 VARCHAR2(240),
    ADDRESS4 VARCHAR2(240), CITY VARCHAR2(60), POSTAL_CODE VARCHAR2(60), STATE VARCHAR2(60), PROVINCE VARCHAR2(60),
    COUNTRY VARCHAR2(60), PARENT_PARTY_ID NUMBER, OBJECT_VERSION_NUMBER NUMBER, CREATION_DATE DATE,
    LAST_UPDATE_DATE DATE);
  TYPE party_tbl IS TABLE OF party_rec INDEX BY BINARY_INTEGER;

  TYPE cust_account_rec IS RECORD (
    CUST_ACCOUNT_ID NUMBER, PARTY_ID NUMBER, ACCOUNT_NUMBER VARCHAR2(30), ACCOUNT_NAME VARCHAR2(240),
    STATUS VARCHAR2(1), CUSTOMER_TYPE VARCHAR2(30), CUSTOMER_CLASS_CODE VARCHAR2(30), CREATION_DATE DATE,
    LAST_UPDATE_DATE DATE);
  TYPE cust_account_tbl IS TABLE OF cust_account_rec INDEX BY BINARY_INTEGER;

  TYPE party_site_rec IS RECORD (
    PARTY_SITE_ID NUMBER, PARTY_ID NUMBER, PARTY_SITE_NUMBER VARCHAR2(30), PARTY_SITE_NAME VARCHAR2(240),
    IDENTIFYING_ADDRESS_FLAG VARCHAR2(1), STATUS VARCHAR2(1), LOCATION_ID NUMBER, ADDRESS1 VARCHAR2(240),
    ADDRESS2 VARCHAR2(240), ADDRESS3 VARCHAR2(240), ADDRESS4 VARCHAR2(240), CITY VARCHAR2(60),
    POSTAL_CODE VARCHAR2(60), STATE VARCHAR2(60), PROVINCE VARCHAR2(60), COUNTY VARCHAR2(60), COUNTRY VARCHAR2(60),
    CUST_ACCT_SITE_ID NUMBER, CUST_ACCOUNT_ID NUMBER, ORG_ID NUMBER, BILL_TO_FLAG VARCHAR2(1),
    SHIP_TO_FLAG VARCHAR2(1), PRIMARY_BILL_TO_FLAG VARCHAR2(1), SITE_USE_CODES VARCHAR2(2000),
    LAST_UPDATE_DATE DATE);
  TYPE party_site_tbl IS TABLE OF party_site_rec INDEX BY BINARY_INTEGER;

  TYPE contact_rec IS RECORD (
    RELATIONSHIP_ID NUMBER, REL_PARTY_ID NUMBER, CONTACT_PARTY_ID NUMBER, ORG_PARTY_ID NUMBER,
    ORG_CONTACT_ID NUMBER, CONTACT_NUMBER VARCHAR2(30), PERSON_FIRST_NAME VARCHAR2(150),
    PERSON_LAST_NAME VARCHAR2(150), JOB_TITLE VARCHAR2(100), DEPARTMENT VARCHAR2(60), EMAIL_ADDRESS VARCHAR2(2000),
    PHONE_NUMBER VARCHAR2(100), MOBILE_NUMBER VARCHAR2(100), STATUS VARCHAR2(1), LAST_UPDATE_DATE DATE);
  TYPE contact_tbl IS TABLE OF contact_rec INDEX BY BINARY_INTEGER;

  TYPE vendor_rec IS RECORD (
    VENDOR_ID NUMBER, SEGMENT1 VARCHAR2(30), VENDOR_NAME VARCHAR2(240), VENDOR_NAME_ALT VARCHAR2(320),
    VENDOR_TYPE_LOOKUP_CODE VARCHAR2(30), PARTY_ID NUMBER, NUM_1099 VARCHAR2(30), VAT_REGISTRATION_NUM VARCHAR2(20),
    ENABLED_FLAG VARCHAR2(1), START_DATE_ACTIVE DATE, END_DATE_ACTIVE DATE, PARENT_VENDOR_ID NUMBER,
    PARENT_VENDOR_PARTY_ID NUMBER, TERMS_ID NUMBER, CREATION_DATE DATE, LAST_UPDATE_DATE DATE);
  TYPE vendor_tbl IS TABLE OF vendor_rec INDEX BY BINARY_INTEGER;

  TYPE vendor_site_rec IS RECORD (
    VENDOR_SITE_ID NUMBER, VENDOR_ID NUMBER, PARTY_ID NUMBER, VENDOR_SITE_CODE VARCHAR2(15), ORG_ID NUMBER,
    ADDRESS_LINE1 VARCHAR2(240), ADDRESS_LINE2 VARCHAR2(240), ADDRESS_LINE3 VARCHAR2(240),
    ADDRESS_LINE4 VARCHAR2(240), CITY VARCHAR2(25), STATE VARCHAR2(150), ZIP VARCHAR2(20), PROVINCE VARCHAR2(150),
    COUNTRY VARCHAR2(25), PAY_SITE_FLAG VARCHAR2(1), PURCHASING_SITE_FLAG VARCHAR2(1),
    PRIMARY_PAY_SITE_FLAG VARCHAR2(1), INACTIVE_DATE DATE, EMAIL_ADDRESS VARCHAR2(2000), AREA_CODE VARCHAR2(10),
    PHONE VARCHAR2(15), LAST_UPDATE_DATE DATE);
  TYPE vendor_site_tbl IS TABLE OF vendor_site_rec INDEX BY BINARY_INTEGER;

/*#
 * Organization and person parties with the parent party of the customer hierarchy.
 * @param P_LAST_UPDATE_FROM Window start, inclusive (server time)
 * @param P_LAST_UPDATE_TO Window end, exclusive (server time)
 * @param P_OFFSET Rows to skip, 0 or more
 * @param P_LIMIT Rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated PARTY_IDs (at most 1000); when given the window is ignored
 * @param P_PARENT_REL_CODE HZ_RELATIONSHIPS.RELATIONSHIP_CODE of the child-to-parent forward row
 * @param X_ROWS The rows
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT
 * @param X_RETURN_STATUS S, E (bad input) or U (unexpected)
 * @param X_MSG_COUNT Number of messages
 * @param X_MSG_DATA The message
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Parties
 */
  PROCEDURE GET_PARTIES (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                         P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, P_PARENT_REL_CODE IN VARCHAR2 DEFAULT 'SUBSIDIARY_OF',
                         X_ROWS OUT NOCOPY party_tbl, X_HAS_MORE OUT NOCOPY VARCHAR2,
                         X_RETURN_STATUS OUT NOCOPY VARCHAR2, X_MSG_COUNT OUT NOCOPY NUMBER,
                         X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Customer accounts.
 * @param P_LAST_UPDATE_FROM Window start, inclusive (server time)
 * @param P_LAST_UPDATE_TO Window end, exclusive (server time)
 * @param P_OFFSET Rows to skip, 0 or more
 * @param P_LIMIT Rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated PARTY_IDs (at most 1000); when given the window is ignored
 * @param X_ROWS The rows
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT
 * @param X_RETURN_STATUS S, E (bad input) or U (unexpected)
 * @param X_MSG_COUNT Number of messages
 * @param X_MSG_DATA The message
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Customer Accounts
 */
  PROCEDURE GET_CUST_ACCOUNTS (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                               P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, X_ROWS OUT NOCOPY cust_account_tbl,
                               X_HAS_MORE OUT NOCOPY VARCHAR2, X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                               X_MSG_COUNT OUT NOCOPY NUMBER, X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Party sites with their location, the account site in the current operating unit and its site uses.
 * @param P_LAST_UPDATE_FROM Window start, inclusive (server time)
 * @param P_LAST_UPDATE_TO Window end, exclusive (server time)
 * @param P_OFFSET Rows to skip, 0 or more
 * @param P_LIMIT Rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated PARTY_IDs (at most 1000); when given the window is ignored
 * @param X_ROWS The rows
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT
 * @param X_RETURN_STATUS S, E (bad input) or U (unexpected)
 * @param X_MSG_COUNT Number of messages
 * @param X_MSG_DATA The message
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Party Sites
 */
  PROCEDURE GET_PARTY_SITES (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                             P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, X_ROWS OUT NOCOPY party_site_tbl,
                             X_HAS_MORE OUT NOCOPY VARCHAR2, X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                             X_MSG_COUNT OUT NOCOPY NUMBER, X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Organization contacts (CONTACT_OF relationships) with the person, the org contact and primary contact points.
 * @param P_LAST_UPDATE_FROM Window start, inclusive (server time)
 * @param P_LAST_UPDATE_TO Window end, exclusive (server time)
 * @param P_OFFSET Rows to skip, 0 or more
 * @param P_LIMIT Rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated organization PARTY_IDs (at most 1000); when given the window is ignored
 * @param X_ROWS The rows
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT
 * @param X_RETURN_STATUS S, E (bad input) or U (unexpected)
 * @param X_MSG_COUNT Number of messages
 * @param X_MSG_DATA The message
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Contacts
 */
  PROCEDURE GET_CONTACTS (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                          P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, X_ROWS OUT NOCOPY contact_tbl,
                          X_HAS_MORE OUT NOCOPY VARCHAR2, X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                          X_MSG_COUNT OUT NOCOPY NUMBER, X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Suppliers (AP_SUPPLIERS, seen through PO_VENDORS) with the parent supplier's party.
 * @param P_LAST_UPDATE_FROM Window start, inclusive (server time)
 * @param P_LAST_UPDATE_TO Window end, exclusive (server time)
 * @param P_OFFSET Rows to skip, 0 or more
 * @param P_LIMIT Rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated PARTY_IDs (at most 1000); when given the window is ignored
 * @param X_ROWS The rows
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT
 * @param X_RETURN_STATUS S, E (bad input) or U (unexpected)
 * @param X_MSG_COUNT Number of messages
 * @param X_MSG_DATA The message
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Suppliers
 */
  PROCEDURE GET_VENDORS (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                         P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, X_ROWS OUT NOCOPY vendor_tbl,
                         X_HAS_MORE OUT NOCOPY VARCHAR2, X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                         X_MSG_COUNT OUT NOCOPY NUMBER, X_MSG_DATA OUT NOCOPY VARCHAR2);

/*#
 * Supplier sites in the current operating unit.
 * @param P_LAST_UPDATE_FROM Window start, inclusive (server time)
 * @param P_LAST_UPDATE_TO Window end, exclusive (server time)
 * @param P_OFFSET Rows to skip, 0 or more
 * @param P_LIMIT Rows to return, 1 to 1000
 * @param P_PARTY_IDS Comma-separated supplier PARTY_IDs (at most 1000); when given the window is ignored
 * @param X_ROWS The rows
 * @param X_HAS_MORE Y when rows exist beyond P_OFFSET + P_LIMIT
 * @param X_RETURN_STATUS S, E (bad input) or U (unexpected)
 * @param X_MSG_COUNT Number of messages
 * @param X_MSG_DATA The message
 * @rep:scope public
 * @rep:lifecycle active
 * @rep:displayname Get Supplier Sites
 */
  PROCEDURE GET_VENDOR_SITES (P_LAST_UPDATE_FROM IN DATE, P_LAST_UPDATE_TO IN DATE, P_OFFSET IN NUMBER,
                              P_LIMIT IN NUMBER, P_PARTY_IDS IN VARCHAR2, X_ROWS OUT NOCOPY vendor_site_tbl,
                              X_HAS_MORE OUT NOCOPY VARCHAR2, X_RETURN_STATUS OUT NOCOPY VARCHAR2,
                              X_MSG_COUNT OUT NOCOPY NUMBER, X_MSG_DATA OUT NOCOPY VARCHAR2);

END XXMLC_SYNC_PKG;
/
