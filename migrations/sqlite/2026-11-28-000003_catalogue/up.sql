-- The social-innovation product catalogue (社创产品): a two-level category taxonomy, products
-- with a review lifecycle, and the communities each product serves.

CREATE TABLE category (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES category (id),
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position INTEGER NOT NULL
);

INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('elder-care', NULL, '养老', 'Elder care', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('elder-day-care', 'elder-care', '日间照料', 'Day care', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('home-visits', 'elder-care', '上门探访', 'Home visits', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('elder-health', 'elder-care', '健康管理', 'Health management', 3);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('meals', NULL, '助餐', 'Community meals', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('elder-canteen', 'meals', '长者食堂', 'Elder canteen', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('meal-delivery', 'meals', '送餐上门', 'Meal delivery', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('childcare', NULL, '托幼', 'Childcare', 3);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('nursery', 'childcare', '托育', 'Nursery care', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('after-school', 'childcare', '课后托管', 'After-school care', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('pet-care', NULL, '云寄养', 'Pet-sitting', 4);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('pet-boarding', 'pet-care', '宠物寄养', 'Pet boarding', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('pet-walking', 'pet-care', '代遛宠物', 'Dog walking', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('repair', NULL, '维修', 'Repair', 5);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('appliance-repair', 'repair', '家电维修', 'Appliance repair', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('home-repair', 'repair', '房屋修缮', 'Home repair', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('haircut', NULL, '理发', 'Haircut', 6);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('elder-haircut', 'haircut', '长者理发', 'Haircuts for elders', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('home-haircut', 'haircut', '上门理发', 'Haircuts at home', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('culture-sport', NULL, '文体', 'Culture & sport', 7);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('performance', 'culture-sport', '文艺演出', 'Performances', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('fitness', 'culture-sport', '全民健身', 'Fitness', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('education', NULL, '教育', 'Education', 8);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('community-classes', 'education', '社区学堂', 'Community classes', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('youth-tutoring', 'education', '青少年辅导', 'Youth tutoring', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('employment', NULL, '就业', 'Employment', 9);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('job-matching', 'employment', '就业对接', 'Job matching', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('skills-training', 'employment', '技能培训', 'Skills training', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('legal-aid', NULL, '法律', 'Legal aid', 10);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('legal-consultation', 'legal-aid', '法律咨询', 'Legal consultation', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('mediation', 'legal-aid', '纠纷调解', 'Dispute mediation', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('psychological', NULL, '心理', 'Psychological support', 11);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('counselling', 'psychological', '心理咨询', 'Counselling', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('support-groups', 'psychological', '互助小组', 'Support groups', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('environment', NULL, '环境', 'Environment', 12);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('waste-sorting', 'environment', '垃圾分类', 'Waste sorting', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('greening', 'environment', '社区绿化', 'Community greening', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('deliberation', NULL, '议事协商', 'Deliberation', 13);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('courtyard-council', 'deliberation', '院落议事', 'Courtyard councils', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('public-hearing', 'deliberation', '民主听证', 'Public hearings', 2);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('public-welfare', NULL, '公益', 'Public welfare', 14);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('volunteering', 'public-welfare', '志愿服务', 'Volunteer service', 1);
INSERT INTO category (id, parent_id, name_zh, name_en, position) VALUES ('charity', 'public-welfare', '慈善募捐', 'Charity', 2);

CREATE TABLE product (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisation (id),
    category_id TEXT NOT NULL REFERENCES category (id),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    price_tier TEXT NOT NULL CHECK (price_tier IN ('FREE', 'LOW_COST', 'MARKET')),
    price_fen BIGINT CHECK (price_fen IS NULL OR price_fen >= 0),
    price_points BIGINT CHECK (price_points IS NULL OR price_points > 0),
    status TEXT NOT NULL CHECK (status IN ('DRAFT', 'IN_REVIEW', 'PUBLISHED', 'REJECTED', 'RETIRED')),
    status_reason TEXT,
    -- Title, summary, description and category names segmented into words by jieba and joined
    -- by spaces: what each engine's full-text index reads.
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX product_status_idx ON product (status, id);
CREATE INDEX product_organisation_idx ON product (organisation_id, id);
CREATE INDEX product_category_idx ON product (category_id, status);

CREATE TABLE product_community (
    product_id TEXT NOT NULL REFERENCES product (id),
    community_id TEXT NOT NULL REFERENCES community (id),
    PRIMARY KEY (product_id, community_id)
);
CREATE INDEX product_community_community_idx ON product_community (community_id);

-- SQLite: an FTS5 index over the segmented text, kept in step with product by triggers.
CREATE VIRTUAL TABLE product_search USING fts5(search_text, content='product', content_rowid='rowid');
CREATE TRIGGER product_search_insert AFTER INSERT ON product BEGIN
    INSERT INTO product_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER product_search_update AFTER UPDATE OF search_text ON product BEGIN
    INSERT INTO product_search (product_search, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO product_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER product_search_delete AFTER DELETE ON product BEGIN
    INSERT INTO product_search (product_search, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
END;
