-- Expression variants: a fixture schema (`xv`) for the test that compares the
-- client-side printer of PostgreSQL expression node trees (CHECK constraint
-- bodies, index key expressions, partial-index predicates) with the server's
-- own printers: pg_get_constraintdef, pg_get_indexdef and pg_get_expr.
--
-- The point is breadth of expression shapes, not realism: constants of every
-- numeric kind and sign, quoting in string literals, operators and their
-- precedence, SQL-syntax functions, casts and coercions, ANY/ALL arrays,
-- CASE, row comparisons, enums, domains, collations, and odd identifiers.
--
-- Load into a fresh, empty PostgreSQL 15 database. Plain DDL only.

CREATE SCHEMA xv;

CREATE TYPE xv.mood AS ENUM ('sad', 'ok', 'happy');

CREATE DOMAIN xv.posint AS integer CHECK (VALUE > 0);

-- ---------------------------------------------------------------------------
-- Numbers: constants of every size and sign, arithmetic, precedence.
-- ---------------------------------------------------------------------------
CREATE TABLE xv.nums (
    id  integer PRIMARY KEY,
    s   smallint,
    i   integer,
    b   bigint,
    n   numeric,
    m   numeric(12,2),
    r   real,
    d   double precision,
    p   xv.posint,
    CONSTRAINT nums_i_pos          CHECK (i > 0),
    CONSTRAINT nums_i_neg          CHECK (i > -1),
    CONSTRAINT nums_i_zero         CHECK (i <> 0),
    CONSTRAINT nums_s_small        CHECK (s < 100),
    CONSTRAINT nums_s_neg          CHECK (s >= -32768),
    CONSTRAINT nums_s_cast         CHECK (s <> CAST(7 AS smallint)),
    CONSTRAINT nums_b_big          CHECK (b < 3000000000),
    CONSTRAINT nums_b_negbig       CHECK (b > -9223372036854775808),
    CONSTRAINT nums_b_int          CHECK (b <> 5),
    CONSTRAINT nums_i_bigconst     CHECK (i::bigint < 5::bigint * 1000),
    CONSTRAINT nums_n_negdec       CHECK (n >= -2.5),
    CONSTRAINT nums_n_dec          CHECK (n <> 0.10),
    CONSTRAINT nums_n_exp          CHECK (n < 1.5e3),
    CONSTRAINT nums_n_huge         CHECK (n < 123456789012345678901234567890),
    CONSTRAINT nums_n_tiny         CHECK (n <> 1e-05),
    CONSTRAINT nums_m_range        CHECK (m BETWEEN 0.00 AND 9999999999.99),
    CONSTRAINT nums_m_notrange     CHECK (m NOT BETWEEN -1 AND -0.01),
    CONSTRAINT nums_m_symm         CHECK (m BETWEEN SYMMETRIC 100 AND 0),
    CONSTRAINT nums_r_int          CHECK (r > 0),
    CONSTRAINT nums_r_dec          CHECK (r <> 0.1),
    CONSTRAINT nums_r_realcast     CHECK (r < 3.5::real),
    CONSTRAINT nums_d_pi           CHECK (d <> 3.14159),
    CONSTRAINT nums_d_large        CHECK (d < 1.5e20),
    CONSTRAINT nums_d_neglarge     CHECK (d > -1.5e20),
    CONSTRAINT nums_d_int          CHECK (d >= -1),
    CONSTRAINT nums_d_floatlit     CHECK (d <> 'NaN'::double precision),
    CONSTRAINT nums_r_tenth        CHECK (r <> '0.1'::real),
    CONSTRAINT nums_r_wide         CHECK (r < '1234567'::real),
    CONSTRAINT nums_r_small        CHECK (r > '-1.5e-7'::real),
    CONSTRAINT nums_d_tiny         CHECK (d <> '1e-5'::double precision),
    CONSTRAINT nums_d_huge         CHECK (d < '1.5e300'::float8),
    CONSTRAINT nums_d_negzero      CHECK (d <> '-0'::float8),
    CONSTRAINT nums_d_fifteen      CHECK (d < '123456789012345'::float8),
    CONSTRAINT nums_d_inf          CHECK (d < 'Infinity'::float8),
    CONSTRAINT nums_arith_add_mul  CHECK (i + s * b > 0),
    CONSTRAINT nums_arith_paren    CHECK ((i + s) * b > 0),
    CONSTRAINT nums_arith_sub_sub  CHECK (i - (s - b) <> 0),
    CONSTRAINT nums_arith_sub_left CHECK ((i - s) - b <> 0),
    CONSTRAINT nums_arith_div      CHECK (i / 2 < 1000),
    CONSTRAINT nums_arith_mod      CHECK (i % 2 = 0 OR i % 3 = 0),
    CONSTRAINT nums_arith_pow      CHECK (d ^ 2 < 1e10),
    CONSTRAINT nums_arith_pow_num  CHECK (n ^ 2::numeric >= 0),
    CONSTRAINT nums_unary_minus    CHECK (-i < 5),
    CONSTRAINT nums_unary_neg_expr CHECK (-(i + s) < 10),
    CONSTRAINT nums_unary_plus     CHECK (+i > -100),
    CONSTRAINT nums_abs_op         CHECK (@ i < 100000),
    CONSTRAINT nums_abs_fn         CHECK (abs(n) < 1000),
    CONSTRAINT nums_round          CHECK (round(n, 2) = m),
    CONSTRAINT nums_bitwise        CHECK ((i & 255) <> 0 AND (i | 1) <> 0 AND (i # 3) >= 0),
    CONSTRAINT nums_shift          CHECK ((b << 2) > (b >> 1)),
    CONSTRAINT nums_bitnot         CHECK (~i <> 0),
    CONSTRAINT nums_sqrt_op        CHECK (|/ d < 100),
    CONSTRAINT nums_mixed_types    CHECK (s + i + b + n > r + d),
    CONSTRAINT nums_greatest_least CHECK (greatest(i, s, 0) <= least(b, 100000, 2000000)),
    CONSTRAINT nums_coalesce       CHECK (coalesce(i, s, 0) >= 0),
    CONSTRAINT nums_nullif         CHECK (nullif(i, 0) IS NOT NULL),
    CONSTRAINT nums_domain         CHECK (p < 1000),
    CONSTRAINT nums_domain_arith   CHECK (p + i > 1),
    CONSTRAINT nums_cast_numeric   CHECK (CAST(n AS numeric(10,2)) < 1000),
    CONSTRAINT nums_cast_int       CHECK (r::integer < 50),
    CONSTRAINT nums_cast_text      CHECK (i::text <> ''),
    CONSTRAINT nums_row_lt         CHECK ((i, s) < (b, 100)),
    CONSTRAINT nums_row_eq         CHECK (ROW(i, s) <> ROW(0, 0)),
    CONSTRAINT nums_row_null       CHECK (ROW(i, b) IS NOT NULL),
    CONSTRAINT nums_in_ints        CHECK (i IN (1, 2, 3, 5, 8)),
    CONSTRAINT nums_not_in_ints    CHECK (s NOT IN (-1, 0)),
    CONSTRAINT nums_in_bigint      CHECK (b IN (1, 10000000000)),
    CONSTRAINT nums_in_numeric     CHECK (n IN (1.5, 2, -3.25)),
    CONSTRAINT nums_any_array      CHECK (i = ANY (ARRAY[1, 2, 3])),
    CONSTRAINT nums_all_literal    CHECK (i <> ALL ('{4,6,7}'::integer[])),
    CONSTRAINT nums_any_lt         CHECK (i < ANY ('{10,20}'::int[]))
);

-- ---------------------------------------------------------------------------
-- Text: literals with quotes, backslashes, unicode; pattern matching;
-- collations; SQL-syntax string functions; odd identifiers.
-- ---------------------------------------------------------------------------
CREATE TABLE xv.texts (
    id          integer PRIMARY KEY,
    t           text,
    v           varchar(20),
    c           char(3),
    ch          "char",
    nm          name,
    "Weird Col" text,
    "order"     integer,
    "select"    text,
    "user"      varchar(20),
    CONSTRAINT texts_quote          CHECK (t <> 'O''Brien'),
    CONSTRAINT texts_backslash      CHECK (t <> 'back\slash'),
    CONSTRAINT texts_escape_string  CHECK (t <> E'tab\there\\'),
    CONSTRAINT texts_unicode        CHECK (t <> 'café 日本'),
    CONSTRAINT texts_empty          CHECK (t <> ''),
    CONSTRAINT texts_newline        CHECK (t <> E'line1\nline2'),
    CONSTRAINT texts_like           CHECK (t LIKE 'a%'),
    CONSTRAINT texts_like_escape    CHECK (t LIKE 'a\_%' ESCAPE '\'),
    CONSTRAINT texts_not_like       CHECK (t NOT LIKE '%x%'),
    CONSTRAINT texts_ilike          CHECK (v ILIKE 'AB%'),
    CONSTRAINT texts_not_ilike      CHECK (v NOT ILIKE '%zz'),
    CONSTRAINT texts_regex          CHECK (t ~ '^[a-z]+$'),
    CONSTRAINT texts_regex_ci       CHECK (t ~* '^[A-Z]'),
    CONSTRAINT texts_not_regex      CHECK (t !~ '\d'),
    CONSTRAINT texts_not_regex_ci   CHECK (v !~* 'bad'),
    CONSTRAINT texts_similar        CHECK (t SIMILAR TO '(a|b)%'),
    CONSTRAINT texts_not_similar    CHECK (t NOT SIMILAR TO '%z'),
    CONSTRAINT texts_similar_esc    CHECK (t SIMILAR TO 'a#%' ESCAPE '#'),
    CONSTRAINT texts_in_text        CHECK (t IN ('a', 'b', 'O''Brien')),
    CONSTRAINT texts_not_in_text    CHECK (t NOT IN ('x', 'y')),
    CONSTRAINT texts_in_varchar     CHECK (v IN ('one', 'two', 'three')),
    CONSTRAINT texts_not_in_varchar CHECK (v NOT IN ('four')),
    CONSTRAINT texts_in_char        CHECK (c IN ('abc', 'def')),
    CONSTRAINT texts_any_text       CHECK (t = ANY ('{a,b}'::text[])),
    CONSTRAINT texts_all_text       CHECK (t <> ALL (ARRAY['no', 'none'])),
    CONSTRAINT texts_varchar_cmp    CHECK (v > 'a'),
    CONSTRAINT texts_char_cmp       CHECK (c <> 'zzz'),
    CONSTRAINT texts_qchar_cmp      CHECK (ch <> 'x'),
    CONSTRAINT texts_qchar_in       CHECK (ch IN ('a', 'b')),
    CONSTRAINT texts_name_cmp       CHECK (nm <> 'postgres'),
    CONSTRAINT texts_name_like      CHECK (nm !~~ 'pg\_%'),
    CONSTRAINT texts_collate_c      CHECK (t COLLATE "C" > 'a'),
    CONSTRAINT texts_collate_posix  CHECK (t > 'A' COLLATE "POSIX"),
    CONSTRAINT texts_collate_both   CHECK ((v COLLATE "C") < ('zz' COLLATE "C")),
    CONSTRAINT texts_length         CHECK (length(t) BETWEEN 1 AND 100),
    CONSTRAINT texts_char_length    CHECK (char_length(v) > 0),
    CONSTRAINT texts_octet_length   CHECK (octet_length(t) < 400),
    CONSTRAINT texts_lower_upper    CHECK (lower(t) <> upper(t)),
    CONSTRAINT texts_btrim          CHECK (btrim(t) = t),
    CONSTRAINT texts_trim_both      CHECK (trim(both 'x' from t) <> ''),
    CONSTRAINT texts_trim_leading   CHECK (trim(leading from v) = v),
    CONSTRAINT texts_trim_trailing  CHECK (trim(trailing '.' from t) <> ''),
    CONSTRAINT texts_substring      CHECK (substring(t from 1 for 2) <> 'zz'),
    CONSTRAINT texts_substring_from CHECK (substring(t from 2) IS NOT NULL),
    CONSTRAINT texts_substring_re   CHECK (substring(t from '[0-9]+') IS NULL),
    CONSTRAINT texts_substr_fn      CHECK (substr(t, 1, 3) <> 'abc'),
    CONSTRAINT texts_position       CHECK (position('a' in t) > 0),
    CONSTRAINT texts_overlay        CHECK (overlay(t placing 'xx' from 1 for 2) <> ''),
    CONSTRAINT texts_left           CHECK (left(t, 2) <> 'zz'),
    CONSTRAINT texts_right          CHECK ("right"(t, 2) <> 'zz'),
    CONSTRAINT texts_concat_fn      CHECK (concat(t, '-', v, "order") <> ''),
    CONSTRAINT texts_concat_op      CHECK (t || v <> 'x'),
    CONSTRAINT texts_concat_any     CHECK (t || "order" <> ''),
    CONSTRAINT texts_format         CHECK (format('%s-%s', t, v) <> '-'),
    CONSTRAINT texts_normalized     CHECK (t IS NFC NORMALIZED),
    CONSTRAINT texts_collation_for  CHECK (COLLATION FOR (t) IS NOT NULL),
    CONSTRAINT texts_varchar_cast   CHECK (t::varchar(10) <> ''),
    CONSTRAINT texts_char_cast      CHECK (c::text <> ''),
    CONSTRAINT texts_weird_col      CHECK ("Weird Col" <> 'Weird'),
    CONSTRAINT "texts Weird Name"   CHECK ("Weird Col" IS NOT NULL OR t IS NOT NULL),
    CONSTRAINT texts_order_kw       CHECK ("order" >= 0),
    CONSTRAINT texts_select_kw      CHECK ("select" <> "Weird Col"),
    CONSTRAINT texts_user_kw        CHECK ("user" <> 'root'),
    CONSTRAINT texts_current_user   CHECK ("user" <> CURRENT_USER),
    CONSTRAINT texts_session_user   CHECK (nm <> SESSION_USER),
    CONSTRAINT texts_md5            CHECK (md5(t) <> ''),
    CONSTRAINT texts_case_simple    CHECK (CASE t WHEN 'a' THEN 1 WHEN 'b' THEN 2 ELSE 0 END >= 0),
    CONSTRAINT texts_case_no_else   CHECK (CASE WHEN t = 'x' THEN false END IS NULL)
);

-- ---------------------------------------------------------------------------
-- Booleans and NULL tests, AND/OR/NOT nesting.
-- ---------------------------------------------------------------------------
CREATE TABLE xv.logic (
    id integer PRIMARY KEY,
    a  boolean,
    b  boolean,
    c  boolean,
    x  integer,
    y  integer,
    z  integer,
    CONSTRAINT logic_bare_col       CHECK (a),
    CONSTRAINT logic_not_col        CHECK (NOT b),
    CONSTRAINT logic_const_true     CHECK (true),
    CONSTRAINT logic_eq_true        CHECK (a = true),
    CONSTRAINT logic_ne_false       CHECK (b <> false),
    CONSTRAINT logic_is_true        CHECK (a IS TRUE),
    CONSTRAINT logic_is_not_true    CHECK (b IS NOT TRUE OR c),
    CONSTRAINT logic_is_false       CHECK (c IS FALSE OR a),
    CONSTRAINT logic_is_not_false   CHECK (b IS NOT FALSE),
    CONSTRAINT logic_is_unknown     CHECK ((x > y) IS UNKNOWN OR x > y),
    CONSTRAINT logic_is_not_unknown CHECK (c IS NOT UNKNOWN),
    CONSTRAINT logic_is_null        CHECK (x IS NULL OR x > 0),
    CONSTRAINT logic_is_not_null    CHECK (y IS NOT NULL),
    CONSTRAINT logic_distinct       CHECK (x IS DISTINCT FROM y),
    CONSTRAINT logic_not_distinct   CHECK (x IS NOT DISTINCT FROM z OR z IS NULL),
    CONSTRAINT logic_or_and         CHECK (a OR b AND c),
    CONSTRAINT logic_paren_or_and   CHECK ((a OR b) AND c),
    CONSTRAINT logic_not_and        CHECK (NOT (a AND b)),
    CONSTRAINT logic_not_or         CHECK (NOT (a OR b) OR c),
    CONSTRAINT logic_deep           CHECK ((x > 0 AND (y > 0 OR z > 0)) OR NOT (x < 0 OR (y < 0 AND NOT c))),
    CONSTRAINT logic_and_chain      CHECK (x > 0 AND y > 0 AND z > 0 AND a),
    CONSTRAINT logic_or_chain       CHECK (x = 1 OR y = 2 OR z = 3),
    CONSTRAINT logic_not_not        CHECK (NOT NOT a),
    CONSTRAINT logic_bool_cmp       CHECK ((x > y) = (y > z)),
    CONSTRAINT logic_bool_ne        CHECK ((x > 0) <> b),
    CONSTRAINT logic_case_searched  CHECK (CASE WHEN a THEN x > 0 WHEN b THEN y > 0 ELSE z > 0 END),
    CONSTRAINT logic_case_value     CHECK (CASE WHEN x < 0 THEN -x ELSE x END < 100),
    CONSTRAINT logic_case_simple    CHECK (CASE x WHEN 1 THEN 'one' WHEN 2 THEN 'two' END IS NOT NULL),
    CONSTRAINT logic_null_const     CHECK (coalesce(NULL::integer, x) IS NOT NULL),
    CONSTRAINT logic_nullif_bool    CHECK (nullif(a, b) IS NULL),
    CONSTRAINT logic_row_cmp        CHECK ((x, y) < (y, z)),
    CONSTRAINT logic_row_ge         CHECK ((x, y, z) >= (0, 0, 0)),
    CONSTRAINT logic_row_distinct   CHECK ((x, y) IS DISTINCT FROM (1, 2))
);

-- NO INHERIT check and a NOT VALID check added afterwards.
ALTER TABLE xv.logic ADD CONSTRAINT logic_no_inherit CHECK (x <> 42) NO INHERIT;
ALTER TABLE xv.logic ADD CONSTRAINT logic_not_valid CHECK (y < 1000000) NOT VALID;

-- ---------------------------------------------------------------------------
-- Dates and times: literals, intervals, date arithmetic, SQL value functions.
-- ---------------------------------------------------------------------------
CREATE TABLE xv.times (
    id  integer PRIMARY KEY,
    d   date,
    ts  timestamp,
    tz  timestamptz,
    iv  interval,
    CONSTRAINT times_date_lit       CHECK (d > '2020-01-01'::date),
    CONSTRAINT times_date_kw_lit    CHECK (d < DATE '2100-12-31'),
    CONSTRAINT times_date_text      CHECK (d >= '1970-01-01'),
    CONSTRAINT times_ts_lit         CHECK (ts > '2020-01-01 00:00:00'),
    CONSTRAINT times_ts_kw_lit      CHECK (ts < TIMESTAMP '2100-01-01 12:30:00'),
    CONSTRAINT times_tz_lit         CHECK (tz > '2020-01-01 00:00:00+00'::timestamptz),
    CONSTRAINT times_date_to_ts     CHECK (d::timestamp <= ts),
    CONSTRAINT times_date_vs_ts     CHECK (d <= ts),
    CONSTRAINT times_ts_vs_tz       CHECK (ts <= tz),
    CONSTRAINT times_tz_to_date     CHECK (tz::date >= d),
    CONSTRAINT times_iv_day         CHECK (iv >= '1 day'::interval),
    CONSTRAINT times_iv_kw          CHECK (iv < INTERVAL '30 days'),
    CONSTRAINT times_iv_mixed       CHECK (iv <> '1 year 2 mons 3 days 04:05:06'),
    CONSTRAINT times_iv_neg         CHECK (iv > '-1 day'::interval),
    CONSTRAINT times_iv_typmod      CHECK (iv < INTERVAL '5' HOUR),
    CONSTRAINT times_ts_plus_iv     CHECK (ts + iv > ts),
    CONSTRAINT times_date_plus_int  CHECK (d + 30 > d),
    CONSTRAINT times_date_minus     CHECK (d - '2000-01-01'::date > 0),
    CONSTRAINT times_now            CHECK (tz <= now()),
    CONSTRAINT times_now_minus      CHECK (tz > now() - interval '30 days'),
    CONSTRAINT times_current_date   CHECK (d <= CURRENT_DATE),
    CONSTRAINT times_current_ts     CHECK (tz <= CURRENT_TIMESTAMP),
    CONSTRAINT times_current_ts_p   CHECK (tz <= CURRENT_TIMESTAMP(3)),
    CONSTRAINT times_localts        CHECK (ts <= LOCALTIMESTAMP),
    CONSTRAINT times_localtime      CHECK (ts::time <= LOCALTIME OR true),
    CONSTRAINT times_current_time   CHECK (CURRENT_TIME IS NOT NULL),
    CONSTRAINT times_date_trunc     CHECK (date_trunc('day', ts) <= ts),
    CONSTRAINT times_date_trunc_tz  CHECK (date_trunc('month', tz) <= tz),
    CONSTRAINT times_extract_year   CHECK (extract(year from d) >= 2000),
    CONSTRAINT times_extract_epoch  CHECK (EXTRACT(EPOCH FROM iv) > 0),
    CONSTRAINT times_date_part      CHECK (date_part('dow', ts) <> 0),
    CONSTRAINT times_overlaps       CHECK (NOT ((d, d + 1) OVERLAPS ('2021-01-01'::date, '2021-01-02'::date))),
    CONSTRAINT times_at_time_zone   CHECK ((tz AT TIME ZONE 'UTC') > '2000-01-01'::timestamp),
    CONSTRAINT times_between_dates  CHECK (d BETWEEN '2020-01-01' AND '2030-12-31'),
    CONSTRAINT times_greatest       CHECK (greatest(d, '2020-01-01'::date) = d),
    CONSTRAINT times_ts_infinity    CHECK (ts < 'infinity'::timestamp)
);

-- ---------------------------------------------------------------------------
-- Everything else: uuid, json/jsonb, arrays, inet, bytea, enum.
-- ---------------------------------------------------------------------------
CREATE TABLE xv.misc (
    id    integer PRIMARY KEY,
    u     uuid,
    j     jsonb,
    js    json,
    ta    text[],
    ia    integer[],
    ip    inet,
    by    bytea,
    mood  xv.mood,
    flag  boolean,
    label text,
    CONSTRAINT misc_uuid_lit        CHECK (u <> '00000000-0000-0000-0000-000000000000'),
    CONSTRAINT misc_uuid_cast       CHECK (u <> 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid),
    CONSTRAINT misc_jsonb_typeof    CHECK (jsonb_typeof(j) = 'object'),
    CONSTRAINT misc_jsonb_has_key   CHECK (j ? 'key'),
    CONSTRAINT misc_jsonb_has_any   CHECK (j ?| ARRAY['a', 'b']),
    CONSTRAINT misc_jsonb_has_all   CHECK (j ?& '{a,b}'),
    CONSTRAINT misc_jsonb_arrow     CHECK ((j -> 'a') IS NOT NULL),
    CONSTRAINT misc_jsonb_arrow_idx CHECK (j -> 0 IS NULL),
    CONSTRAINT misc_jsonb_arrow2    CHECK (j ->> 'name' <> ''),
    CONSTRAINT misc_jsonb_chain     CHECK (j -> 'a' ->> 'b' <> 'x'),
    CONSTRAINT misc_jsonb_path_txt  CHECK (j #>> '{a,b}' <> 'x'),
    CONSTRAINT misc_jsonb_path      CHECK (j #> '{a}' IS NOT NULL),
    CONSTRAINT misc_jsonb_contains  CHECK (j @> '{"a": 1}'),
    CONSTRAINT misc_jsonb_contained CHECK (j <@ '{"a": 1, "b": [1, 2]}'::jsonb),
    CONSTRAINT misc_jsonb_cast_int  CHECK ((j ->> 'n')::integer > 0),
    CONSTRAINT misc_jsonb_to_num    CHECK ((j -> 'n')::numeric >= 0),
    CONSTRAINT misc_json_arrow      CHECK (js ->> 'k' <> ''),
    CONSTRAINT misc_json_typeof     CHECK (json_typeof(js) <> 'null'),
    CONSTRAINT misc_json_to_jsonb   CHECK (js::jsonb <> '{}'::jsonb),
    CONSTRAINT misc_array_length    CHECK (array_length(ta, 1) > 0),
    CONSTRAINT misc_cardinality     CHECK (cardinality(ia) < 10),
    CONSTRAINT misc_array_overlap   CHECK (ia && '{1,2}'),
    CONSTRAINT misc_array_contains  CHECK (ta @> ARRAY['x']),
    CONSTRAINT misc_array_contained CHECK (ia <@ ARRAY[1, 2, 3, 4]),
    CONSTRAINT misc_array_subscript CHECK (ta[1] <> ''),
    CONSTRAINT misc_array_slice     CHECK (ia[1:2] <> '{}'),
    CONSTRAINT misc_array_any_col   CHECK (label = ANY (ta)),
    CONSTRAINT misc_array_all_col   CHECK (0 < ALL (ia)),
    CONSTRAINT misc_array_concat    CHECK (ia || 5 <> ia),
    CONSTRAINT misc_array_eq_empty  CHECK (ta <> '{}'::text[]),
    CONSTRAINT misc_array_ctor_2d   CHECK (ARRAY[[1, 2], [3, 4]] <> ia),
    CONSTRAINT misc_array_null_elem CHECK (array_position(ta, NULL) IS NULL),
    CONSTRAINT misc_inet_lit        CHECK (ip << '10.0.0.0/8'),
    CONSTRAINT misc_inet_cast       CHECK (ip <> '192.168.0.1'::inet),
    CONSTRAINT misc_inet_contains   CHECK (ip <<= inet '172.16.0.0/12' OR ip >>= '::1'),
    CONSTRAINT misc_inet_family     CHECK (family(ip) = 4),
    CONSTRAINT misc_bytea_len       CHECK (octet_length(by) < 1024),
    CONSTRAINT misc_bytea_lit       CHECK (by <> '\xdeadbeef'::bytea),
    CONSTRAINT misc_bytea_escape    CHECK (by <> E'\\000\\001'::bytea),
    CONSTRAINT misc_enum_ne         CHECK (mood <> 'sad'),
    CONSTRAINT misc_enum_in         CHECK (mood IN ('ok', 'happy')),
    CONSTRAINT misc_enum_gt         CHECK (mood > 'sad'),
    CONSTRAINT misc_enum_cast       CHECK (mood::text <> 'meh'),
    CONSTRAINT misc_enum_case       CHECK (CASE mood WHEN 'happy' THEN flag ELSE true END),
    CONSTRAINT misc_enum_qualified  CHECK (mood <> 'ok'::xv.mood OR flag IS NOT NULL),
    CONSTRAINT misc_bool_eq_false   CHECK (flag = false OR mood = 'happy'),
    CONSTRAINT misc_text_to_uuid    CHECK (label::uuid IS NOT NULL OR label IS NULL)
);

-- ---------------------------------------------------------------------------
-- A table that exists only for indexes (plus the columns they need).
-- ---------------------------------------------------------------------------
CREATE TABLE xv.idx (
    id          integer PRIMARY KEY,
    a           integer,
    b           integer,
    big         bigint,
    n           numeric(12,2),
    t           text,
    v           varchar(20),
    c           char(3),
    ts          timestamp,
    d           date,
    j           jsonb,
    ta          text[],
    ia          integer[],
    mood        xv.mood,
    flag        boolean,
    deleted     boolean,
    u           uuid,
    ip          inet,
    "Weird Col" text,
    "order"     integer,
    "select"    text,
    CONSTRAINT idx_a_b CHECK (a < b OR b IS NULL)
);

-- Expression indexes.
CREATE INDEX idx_lower_t        ON xv.idx (lower(t));
CREATE INDEX idx_upper_v        ON xv.idx (upper(v));
CREATE INDEX idx_a_plus_b       ON xv.idx ((a + b));
CREATE INDEX idx_a_plus_b_mul   ON xv.idx ((a + b * 2));
CREATE INDEX idx_paren_mul      ON xv.idx (((a + b) * 2));
CREATE INDEX idx_sub_sub        ON xv.idx ((a - (b - 1)));
CREATE INDEX idx_mod            ON xv.idx ((a % 10));
CREATE INDEX idx_unary_minus    ON xv.idx ((-a));
CREATE INDEX idx_abs            ON xv.idx (abs(a));
CREATE INDEX idx_a_text         ON xv.idx ((a::text));
CREATE INDEX idx_big_int        ON xv.idx ((big::integer));
CREATE INDEX idx_n_cast         ON xv.idx ((CAST(n AS numeric(10,0))));
CREATE INDEX idx_round          ON xv.idx (round(n, 1));
CREATE INDEX idx_coalesce       ON xv.idx (coalesce(t, ''));
CREATE INDEX idx_coalesce_int   ON xv.idx (coalesce(a, b, -1));
CREATE INDEX idx_nullif         ON xv.idx (nullif(t, ''));
CREATE INDEX idx_greatest       ON xv.idx (greatest(a, b));
CREATE INDEX idx_date_trunc     ON xv.idx (date_trunc('day', ts));
CREATE INDEX idx_extract        ON xv.idx (extract(year from d));
CREATE INDEX idx_ts_date        ON xv.idx ((ts::date));
CREATE INDEX idx_json_text      ON xv.idx ((j ->> 'k'));
CREATE INDEX idx_json_obj       ON xv.idx ((j -> 'k'));
CREATE INDEX idx_json_path      ON xv.idx ((j #>> '{a,b}'));
CREATE INDEX idx_json_cast      ON xv.idx (((j ->> 'n')::integer));
CREATE INDEX idx_json_gin_ops   ON xv.idx USING gin ((j -> 'tags') jsonb_path_ops);
CREATE INDEX idx_json_gin       ON xv.idx USING gin (j);
CREATE INDEX idx_array_gin      ON xv.idx USING gin (ta);
CREATE INDEX idx_array_sub      ON xv.idx ((ta[1]));
CREATE INDEX idx_array_len      ON xv.idx (array_length(ia, 1));
CREATE INDEX idx_cardinality    ON xv.idx (cardinality(ta));
CREATE INDEX idx_multi_mixed    ON xv.idx (a, lower(t), b);
CREATE INDEX idx_multi_expr     ON xv.idx ((a + 1), (b * 2), (t || 'x'));
CREATE INDEX idx_desc_expr      ON xv.idx (lower(t) DESC);
CREATE INDEX idx_nulls_first    ON xv.idx ((a + b) NULLS FIRST);
CREATE INDEX idx_desc_nulls_lst ON xv.idx ((a * b) DESC NULLS LAST, a ASC NULLS FIRST);
CREATE INDEX idx_collate_c      ON xv.idx ((lower(t)) COLLATE "C");
CREATE INDEX idx_collate_col    ON xv.idx (t COLLATE "POSIX");
CREATE INDEX idx_collate_inner  ON xv.idx ((t COLLATE "C"));
CREATE INDEX idx_pattern_ops    ON xv.idx (lower(t) text_pattern_ops);
CREATE INDEX idx_vpattern_ops   ON xv.idx (v varchar_pattern_ops);
CREATE INDEX idx_collate_ops    ON xv.idx ((upper(t)) COLLATE "C" text_pattern_ops DESC);
CREATE UNIQUE INDEX idx_uniq_lower   ON xv.idx (lower(v));
CREATE UNIQUE INDEX idx_uniq_coal    ON xv.idx (coalesce(a, 0), coalesce(b, 0));
CREATE INDEX idx_include        ON xv.idx ((a + b)) INCLUDE (t, n);
CREATE UNIQUE INDEX idx_uniq_incl    ON xv.idx (lower(t)) INCLUDE (id);
CREATE INDEX idx_case           ON xv.idx ((CASE WHEN flag THEN a ELSE b END));
CREATE INDEX idx_case_simple    ON xv.idx ((CASE mood WHEN 'happy' THEN 1 WHEN 'ok' THEN 2 ELSE 3 END));
CREATE INDEX idx_substring      ON xv.idx ("substring"(t, 1, 3));
CREATE INDEX idx_substring_sql  ON xv.idx ((substring(t from 2 for 4)));
CREATE INDEX idx_trim           ON xv.idx ((trim(both ' ' from t)));
CREATE INDEX idx_left           ON xv.idx ("left"(t, 2));
CREATE INDEX idx_concat_op      ON xv.idx ((a::text || '-' || t));
CREATE INDEX idx_md5            ON xv.idx (md5(t));
CREATE INDEX idx_weird          ON xv.idx (lower("Weird Col"), "order");
CREATE INDEX idx_keywords       ON xv.idx ("select", ("order" + 1));
CREATE INDEX idx_hash_expr      ON xv.idx USING hash (lower(t));
CREATE INDEX idx_brin_expr      ON xv.idx USING brin ((a + 0));
CREATE INDEX idx_uuid_text      ON xv.idx ((u::text));
CREATE INDEX idx_inet_host      ON xv.idx (host(ip));
CREATE INDEX idx_bool_expr      ON xv.idx ((a > b));
CREATE INDEX idx_row_compare    ON xv.idx (((a, b) < (1, 2)));
CREATE INDEX idx_enum_cmp       ON xv.idx ((mood = 'happy'));
CREATE INDEX idx_char_cast      ON xv.idx ((c::text));
CREATE INDEX idx_varchar_cast   ON xv.idx ((t::varchar(5)));

-- Partial indexes.
CREATE INDEX idx_p_not_null     ON xv.idx (a) WHERE t IS NOT NULL;
CREATE INDEX idx_p_is_null      ON xv.idx (a) WHERE deleted IS NULL;
CREATE INDEX idx_p_bool         ON xv.idx (a) WHERE flag;
CREATE INDEX idx_p_not_bool     ON xv.idx (a) WHERE NOT deleted;
CREATE INDEX idx_p_is_true      ON xv.idx (b) WHERE flag IS TRUE;
CREATE INDEX idx_p_is_not_false ON xv.idx (b) WHERE deleted IS NOT FALSE;
CREATE INDEX idx_p_bool_eq      ON xv.idx (b) WHERE flag = false;
CREATE INDEX idx_p_enum         ON xv.idx (a) WHERE mood = 'happy';
CREATE INDEX idx_p_enum_in      ON xv.idx (a) WHERE mood IN ('ok', 'happy');
CREATE INDEX idx_p_enum_ne      ON xv.idx (a) WHERE mood <> 'sad';
CREATE INDEX idx_p_cols         ON xv.idx (a) WHERE a < b;
CREATE INDEX idx_p_in_ints      ON xv.idx (t) WHERE a IN (1, 2, 3);
CREATE INDEX idx_p_not_in       ON xv.idx (t) WHERE a NOT IN (-1, 0);
CREATE INDEX idx_p_in_text      ON xv.idx (a) WHERE t IN ('x', 'y', 'O''Brien');
CREATE INDEX idx_p_in_varchar   ON xv.idx (a) WHERE v IN ('a', 'b');
CREATE INDEX idx_p_in_char      ON xv.idx (a) WHERE c IN ('abc', 'xyz');
CREATE INDEX idx_p_and_or       ON xv.idx (a) WHERE flag AND (a > 0 OR b > 0);
CREATE INDEX idx_p_or_and       ON xv.idx (a) WHERE a > 0 OR b > 0 AND NOT flag;
CREATE INDEX idx_p_not_and      ON xv.idx (a) WHERE NOT (flag AND deleted);
CREATE INDEX idx_p_ts_interval  ON xv.idx (ts) WHERE ts > '2024-01-01'::timestamp - interval '30 days';
CREATE INDEX idx_p_date         ON xv.idx (d) WHERE d >= '2020-01-01'::date;
CREATE INDEX idx_p_date_plus    ON xv.idx (d) WHERE d + interval '1 day' > '2021-06-01 00:00:00'::timestamp;
CREATE INDEX idx_p_like         ON xv.idx (t) WHERE t LIKE 'a%';
CREATE INDEX idx_p_not_like     ON xv.idx (t) WHERE t NOT LIKE '%\_tmp' AND t !~~* 'x%';
CREATE INDEX idx_p_regex        ON xv.idx (t) WHERE t ~ '^[0-9]+$';
CREATE INDEX idx_p_between      ON xv.idx (a) WHERE b BETWEEN 10 AND 20;
CREATE INDEX idx_p_not_between  ON xv.idx (a) WHERE n NOT BETWEEN -1.5 AND 1.5;
CREATE INDEX idx_p_distinct     ON xv.idx (a) WHERE a IS DISTINCT FROM b;
CREATE INDEX idx_p_json         ON xv.idx ((j ->> 'k')) WHERE j ? 'k';
CREATE INDEX idx_p_json_contain ON xv.idx (a) WHERE j @> '{"active": true}';
CREATE INDEX idx_p_array        ON xv.idx (a) WHERE ia && '{1,2,3}'::integer[];
CREATE INDEX idx_p_any          ON xv.idx (a) WHERE 'x' = ANY (ta);
CREATE INDEX idx_p_expr_pred    ON xv.idx (lower(t)) WHERE lower(t) <> '' AND length(t) > 2;
CREATE INDEX idx_p_case         ON xv.idx (a) WHERE CASE WHEN flag THEN a > 0 ELSE b > 0 END;
CREATE INDEX idx_p_coalesce     ON xv.idx (a) WHERE coalesce(deleted, false) = false;
CREATE INDEX idx_p_negative     ON xv.idx (a) WHERE a > -100 AND n > -0.5;
CREATE INDEX idx_p_big          ON xv.idx (big) WHERE big > 10000000000;
CREATE INDEX idx_p_collate      ON xv.idx (t) WHERE t COLLATE "C" > 'm';
CREATE INDEX idx_p_row          ON xv.idx (a) WHERE (a, b) > (0, 0);
CREATE INDEX idx_p_inet         ON xv.idx (ip) WHERE ip << '10.0.0.0/8'::inet;
CREATE INDEX idx_p_weird        ON xv.idx ("Weird Col") WHERE "order" > 0 AND "select" IS NOT NULL;
CREATE UNIQUE INDEX idx_p_unique_expr ON xv.idx (lower(t), mood) WHERE NOT deleted;
CREATE INDEX idx_p_include      ON xv.idx ((a * 2)) INCLUDE (b) WHERE b IS NOT NULL;
CREATE INDEX idx_p_gin          ON xv.idx USING gin (j jsonb_path_ops) WHERE j IS NOT NULL;

-- Indexes on the other tables.
CREATE INDEX nums_i_plus_s      ON xv.nums ((i + s));
CREATE INDEX nums_d_pow         ON xv.nums ((d ^ 2));
CREATE INDEX nums_p_domain      ON xv.nums (p) WHERE p > 10;
CREATE INDEX nums_r_mix         ON xv.nums ((r * 2)) WHERE r > 0.5 AND d < 1e10;
CREATE INDEX texts_lower_t      ON xv.texts (lower(t) text_pattern_ops) WHERE t <> '';
CREATE INDEX texts_qchar        ON xv.texts (ch) WHERE ch <> 'z';
CREATE INDEX texts_name         ON xv.texts ((nm::text));
CREATE INDEX logic_partial      ON xv.logic (x) WHERE a OR b AND c;
CREATE INDEX logic_unknown      ON xv.logic (x) WHERE (x > y) IS UNKNOWN;
CREATE INDEX times_date_trunc   ON xv.times (date_trunc('hour', ts) DESC NULLS LAST);
CREATE INDEX times_iv           ON xv.times (iv) WHERE iv > '1 day'::interval;
CREATE INDEX misc_jsonb_ops     ON xv.misc USING gin ((j -> 'a') jsonb_path_ops) WHERE jsonb_typeof(j) = 'object';
CREATE INDEX misc_enum          ON xv.misc (mood) WHERE mood > 'sad';
CREATE INDEX misc_uuid          ON xv.misc (u) WHERE u <> '00000000-0000-0000-0000-000000000000'::uuid;
