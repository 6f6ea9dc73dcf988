DROP TABLE redemption;
DROP TABLE reward;
DROP TABLE merchant;
