// Social-innovation products: the catalogue residents search, and the organisation's own list.
import { PageInfoFields, ProductCardFields, UserErrorFields } from './fragments.js';

export const Products = `query Products($filter: ProductFilterInput, $orderBy: ProductOrder, $after: String) {
  products(filter: $filter, orderBy: $orderBy, first: 20, after: $after) {
    totalCount
    pageInfo { ...PageInfoFields }
    edges { node { ...ProductCardFields } }
  }
}
${PageInfoFields}
${ProductCardFields}`;

export const Product = `query Product($id: ID!) {
  node(id: $id) { ... on Product { ...ProductCardFields organisation { id contact } communities { id name } } }
}
${ProductCardFields}`;

/**
 * Organisers: the organisation's products in every status, one list per status (20 each keeps
 * the request well under the server's cost cap, see docs/API.md).
 */
export const OrganisationProducts = `query OrganisationProducts($id: ID!) {
  node(id: $id) {
    ... on Organisation {
      id name status
      drafts: products(status: DRAFT, first: 20) { edges { node { ...ProductCardFields } } }
      inReview: products(status: IN_REVIEW, first: 20) { edges { node { ...ProductCardFields } } }
      rejected: products(status: REJECTED, first: 20) { edges { node { ...ProductCardFields } } }
      published: products(status: PUBLISHED, first: 20) { edges { node { ...ProductCardFields } } }
    }
  }
  categories { id nameZh children { id nameZh } }
}
${ProductCardFields}`;

export const CreateProduct = `mutation CreateProduct($input: CreateProductInput!) {
  createProduct(input: $input) { product { ...ProductCardFields } errors { ...UserErrorFields } }
}
${ProductCardFields}
${UserErrorFields}`;

export const UpdateProduct = `mutation UpdateProduct($input: UpdateProductInput!) {
  updateProduct(input: $input) { product { ...ProductCardFields } errors { ...UserErrorFields } }
}
${ProductCardFields}
${UserErrorFields}`;

export const SubmitProduct = `mutation SubmitProduct($input: ProductIdInput!) {
  submitProduct(input: $input) { product { ...ProductCardFields } errors { ...UserErrorFields } }
}
${ProductCardFields}
${UserErrorFields}`;

/** Staff: products waiting for review, oldest concerns first in the centre's queue. */
export const ProductReviewQueue = `query ProductReviewQueue {
  products(filter: { status: IN_REVIEW }, orderBy: NEWEST, first: 20) {
    totalCount edges { node { ...ProductCardFields } }
  }
}
${ProductCardFields}`;

export const ReviewProduct = `mutation ReviewProduct($input: ReviewProductInput!) {
  reviewProduct(input: $input) { product { id status statusReason } errors { ...UserErrorFields } }
}
${UserErrorFields}`;
