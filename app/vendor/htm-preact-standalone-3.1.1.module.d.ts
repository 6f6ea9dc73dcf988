// Types for htm's Preact standalone build (htm 3.1.1 with Preact 10 and its hooks), written
// for the app's `tsc --checkJs`; the exports match the file's `export { … }` line.
export type VNode = { type: unknown; props: Record<string, unknown>; key: unknown };
export function h(type: unknown, props: Record<string, unknown> | null, ...children: unknown[]): VNode;
export function html(strings: TemplateStringsArray, ...values: unknown[]): VNode;
export function render(vnode: unknown, parent: Element): void;
export class Component<P = Record<string, unknown>, S = Record<string, unknown>> {
  constructor(props?: P);
  props: P;
  state: S;
  setState(state: Partial<S>): void;
  forceUpdate(): void;
}
export function createContext<T>(value: T): { Provider: unknown; Consumer: unknown };
type SetState<S> = (value: S | ((previous: S) => S)) => void;
export function useState<S>(initial: S | (() => S)): [S, SetState<S>];
export function useReducer<S, A>(reducer: (state: S, action: A) => S, initial: S): [S, (action: A) => void];
export function useEffect(effect: () => void | (() => void), inputs?: readonly unknown[]): void;
export function useLayoutEffect(effect: () => void | (() => void), inputs?: readonly unknown[]): void;
export function useRef<T>(initial: T): { current: T };
export function useImperativeHandle(ref: unknown, create: () => unknown, inputs?: readonly unknown[]): void;
export function useMemo<T>(factory: () => T, inputs: readonly unknown[]): T;
export function useCallback<T extends (...args: any[]) => any>(callback: T, inputs: readonly unknown[]): T;
export function useContext<T>(context: unknown): T;
export function useDebugValue(value: unknown): void;
export function useErrorBoundary(callback?: (error: unknown) => void): [unknown, () => void];
